# Outputs that do not apply to the chosen resource_type are null. Every `*_id` output is the
# full ARM id of a resource tagged with the request id. Public network access is off on every
# server: clients connect through a private endpoint the network team attaches.

output "resource_group_id" {
  description = "ARM id of the stack's resource group."
  value       = azurerm_resource_group.this.id
}

output "resource_group_name" {
  description = "Name of the stack's resource group."
  value       = azurerm_resource_group.this.name
}

output "sku" {
  description = "SKU in use (the request's sku, or the default of the resource type)."
  value       = local.sku
}

output "postgresql_server_id" {
  description = "ARM id of the PostgreSQL flexible server (postgresql only)."
  value       = one(azurerm_postgresql_flexible_server.this[*].id)
}

output "postgresql_fqdn" {
  description = "Host name of the PostgreSQL server (postgresql only)."
  value       = one(azurerm_postgresql_flexible_server.this[*].fqdn)
}

output "postgresql_admin_username" {
  description = "Administrator login of the PostgreSQL server (postgresql only)."
  value       = local.is_postgresql ? local.postgresql_admin : null
}

output "postgresql_admin_password" {
  description = "Administrator password of the PostgreSQL server (postgresql only)."
  value       = one(random_password.postgresql[*].result)
  sensitive   = true
}

output "postgresql_storage_mb" {
  description = "Storage of the PostgreSQL server in MiB, storage_gb rounded up to a size Azure offers (postgresql only)."
  value       = one(azurerm_postgresql_flexible_server.this[*].storage_mb)
}

output "cosmosdb_account_id" {
  description = "ARM id of the Cosmos DB account (cosmosdb only)."
  value       = one(azurerm_cosmosdb_account.this[*].id)
}

output "cosmosdb_endpoint" {
  description = "Endpoint of the Cosmos DB account; sign in with Entra ID, local keys are off (cosmosdb only)."
  value       = one(azurerm_cosmosdb_account.this[*].endpoint)
}

output "redis_cache_id" {
  description = "ARM id of the Redis cache (redis only)."
  value       = one(azurerm_redis_cache.this[*].id)
}

output "redis_hostname" {
  description = "Host name of the Redis cache (redis only)."
  value       = one(azurerm_redis_cache.this[*].hostname)
}

output "redis_ssl_port" {
  description = "TLS port of the Redis cache (redis only)."
  value       = one(azurerm_redis_cache.this[*].ssl_port)
}

output "redis_primary_access_key" {
  description = "Primary access key of the Redis cache (redis only)."
  value       = one(azurerm_redis_cache.this[*].primary_access_key)
  sensitive   = true
}

output "redis_primary_connection_string" {
  description = "Primary connection string of the Redis cache (redis only)."
  value       = one(azurerm_redis_cache.this[*].primary_connection_string)
  sensitive   = true
}
