# Outputs that do not apply to the chosen resource_type are null. Every `*_id` output is the
# full ARM id of a resource tagged with the request id.

output "resource_group_id" {
  description = "ARM id of the stack's resource group."
  value       = azurerm_resource_group.this.id
}

output "resource_group_name" {
  description = "Name of the stack's resource group."
  value       = azurerm_resource_group.this.name
}

output "kubernetes_cluster_id" {
  description = "ARM id of the AKS cluster (kubernetes only)."
  value       = one(azurerm_kubernetes_cluster.this[*].id)
}

output "kubernetes_cluster_name" {
  description = "Name of the AKS cluster (kubernetes only)."
  value       = one(azurerm_kubernetes_cluster.this[*].name)
}

output "kubernetes_fqdn" {
  description = "FQDN of the AKS API server (kubernetes only)."
  value       = one(azurerm_kubernetes_cluster.this[*].fqdn)
}

output "kubernetes_oidc_issuer_url" {
  description = "OIDC issuer URL for workload identity federation (kubernetes only)."
  value       = one(azurerm_kubernetes_cluster.this[*].oidc_issuer_url)
}

output "kube_config" {
  description = "Kubeconfig of the AKS cluster; signs in with Entra ID through kubelogin (kubernetes only)."
  value       = one(azurerm_kubernetes_cluster.this[*].kube_config_raw)
  sensitive   = true
}

output "vm_id" {
  description = "ARM id of the virtual machine (vm only)."
  value       = one(azurerm_linux_virtual_machine.this[*].id)
}

output "vm_name" {
  description = "Name of the virtual machine (vm only)."
  value       = one(azurerm_linux_virtual_machine.this[*].name)
}

output "vm_private_ip_address" {
  description = "Private IP address of the virtual machine; it has no public IP (vm only)."
  value       = one(azurerm_linux_virtual_machine.this[*].private_ip_address)
}

output "vm_admin_username" {
  description = "SSH user of the virtual machine (vm only)."
  value       = local.is_vm ? local.admin_username : null
}

output "virtual_network_id" {
  description = "ARM id of the virtual network the virtual machine sits in (vm only)."
  value       = one(azurerm_virtual_network.this[*].id)
}

output "ssh_private_key" {
  description = "OpenSSH private key for vm_admin_username (vm only)."
  value       = one(tls_private_key.ssh[*].private_key_openssh)
  sensitive   = true
}
