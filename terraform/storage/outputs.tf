# Outputs that do not apply to the chosen resource_type are null. Every `*_id` output is the
# full ARM id of a resource tagged with the request id (containers and shares take no tags,
# so they are reported by name and URL).

output "resource_group_id" {
  description = "ARM id of the stack's resource group."
  value       = azurerm_resource_group.this.id
}

output "resource_group_name" {
  description = "Name of the stack's resource group."
  value       = azurerm_resource_group.this.name
}

output "storage_account_id" {
  description = "ARM id of the storage account."
  value       = azurerm_storage_account.this.id
}

output "storage_account_name" {
  description = "Name of the storage account."
  value       = azurerm_storage_account.this.name
}

output "primary_blob_endpoint" {
  description = "Blob service endpoint of the account (blob only)."
  value       = local.is_blob ? azurerm_storage_account.this.primary_blob_endpoint : null
}

output "container_name" {
  description = "Name of the private blob container (blob only)."
  value       = one(azurerm_storage_container.this[*].name)
}

output "container_url" {
  description = "URL of the private blob container; sign in with Entra ID (blob only)."
  value       = local.is_blob ? "${azurerm_storage_account.this.primary_blob_endpoint}${local.child_name}" : null
}

output "primary_file_endpoint" {
  description = "File service endpoint of the account (fileshare only)."
  value       = local.is_share ? azurerm_storage_account.this.primary_file_endpoint : null
}

output "file_share_name" {
  description = "Name of the file share (fileshare only)."
  value       = one(azurerm_storage_share.this[*].name)
}

output "file_share_url" {
  description = "URL of the file share (fileshare only)."
  value       = one(azurerm_storage_share.this[*].url)
}

output "file_share_quota_gb" {
  description = "Provisioned size of the file share in GiB (fileshare only)."
  value       = one(azurerm_storage_share.this[*].quota)
}

output "primary_access_key" {
  description = "Account key for mounting the file share over SMB (fileshare only; blob accounts refuse Shared Key)."
  value       = local.is_share ? azurerm_storage_account.this.primary_access_key : null
  sensitive   = true
}
