# Authenticates from the environment (ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID,
# ARM_USE_OIDC for workload identity); no credential is ever written here. Resource providers
# are checked by the preflight step, so the provider does not try to register them.
provider "azurerm" {
  features {}

  resource_provider_registrations = "none"
}

locals {
  kind = "database"
  # Redis names refuse consecutive hyphens, which the request's name allows.
  stem = "${replace(var.name, "/-+/", "-")}-${var.environment}"
  # Server and account names are global DNS names: a short hash keeps them unique.
  suffix = substr(sha256("${var.name}/${var.environment}"), 0, 4)

  is_postgresql = var.resource_type == "postgresql"
  is_cosmosdb   = var.resource_type == "cosmosdb"
  is_redis      = var.resource_type == "redis"

  # A null sku means the default of the resource type: the smallest useful size.
  default_sku = {
    postgresql = "B_Standard_B1ms"
    cosmosdb   = "Serverless"
    redis      = "Basic_C0"
  }
  sku = var.sku == null ? local.default_sku[var.resource_type] : var.sku

  # PostgreSQL flexible server sizes; storage_gb is rounded up to the next one.
  postgresql_storage_mb_sizes = [32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408]
  postgresql_storage_mb       = [for size in local.postgresql_storage_mb_sizes : size if size >= var.storage_gb * 1024][0]
  postgresql_admin            = "psqladmin"

  # "Standard_C1" -> ["Standard", "C", "1"]; null when the sku is not a Redis sku.
  redis_sku = try(regex("^([A-Za-z]+)_([CP])([0-9])$", local.sku), null)

  tags = {
    request_id   = var.request_id
    requester    = var.requester_email
    environment  = var.environment
    kind         = local.kind
    "managed-by" = "idp-platform"
    # The stack (kind, environment, name): what verify checks is gone after a destroy.
    "idp-stack" = "${local.kind}-${var.environment}-${var.name}"
    # Whether the stack expires (the registry records when; the reaper destroys it then).
    "idp-ttl-hours" = var.ttl_hours == 0 ? "none" : tostring(var.ttl_hours)
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${var.name}-${local.kind}-${var.environment}"
  location = var.region
  tags     = local.tags
}

# --- postgresql: a PostgreSQL 16 flexible server ------------------------------------------------

resource "random_password" "postgresql" {
  count = local.is_postgresql ? 1 : 0

  length           = 32
  special          = true
  override_special = "!#%*-_=+"
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
  min_special      = 2
}

resource "azurerm_postgresql_flexible_server" "this" {
  #checkov:skip=CKV2_AZURE_57:Private endpoints are out of scope for a self-service server; public network access is off, so the network team attaches one
  #checkov:skip=CKV_AZURE_136:Geo-redundant backups are on for prod (geo_redundant_backup_enabled follows var.environment); dev and test do not pay for them
  count = local.is_postgresql ? 1 : 0

  name                          = "psql-${local.stem}-${local.suffix}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  version                       = "16"
  sku_name                      = local.sku
  storage_mb                    = local.postgresql_storage_mb
  administrator_login           = local.postgresql_admin
  administrator_password        = random_password.postgresql[0].result
  public_network_access_enabled = false
  backup_retention_days         = var.environment == "prod" ? 35 : 7
  geo_redundant_backup_enabled  = var.environment == "prod"
  tags                          = local.tags

  lifecycle {
    # Azure picks the zone and moves it on fail-over; do not fight it.
    ignore_changes = [zone]

    precondition {
      condition     = can(regex("^(B|GP|MO)_Standard_[A-Za-z0-9_]+$", local.sku))
      error_message = "A postgresql sku looks like B_Standard_B1ms, GP_Standard_D2s_v3 or MO_Standard_E4s_v3."
    }
  }
}

# --- cosmosdb: a Cosmos DB (NoSQL) account -----------------------------------------------------

resource "azurerm_cosmosdb_account" "this" {
  #checkov:skip=CKV_AZURE_100:Customer-managed keys need a Key Vault per stack; Cosmos DB encrypts data at rest with service-managed keys
  count = local.is_cosmosdb ? 1 : 0

  name                               = "cosmos-${local.stem}-${local.suffix}"
  resource_group_name                = azurerm_resource_group.this.name
  location                           = azurerm_resource_group.this.location
  offer_type                         = "Standard"
  kind                               = "GlobalDocumentDB"
  minimal_tls_version                = "Tls12"
  local_authentication_disabled      = true
  access_key_metadata_writes_enabled = false
  public_network_access_enabled      = false
  tags                               = local.tags

  dynamic "capabilities" {
    for_each = local.sku == "Serverless" ? ["EnableServerless"] : []

    content {
      name = capabilities.value
    }
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = azurerm_resource_group.this.location
    failover_priority = 0
  }

  identity {
    type = "SystemAssigned"
  }

  lifecycle {
    precondition {
      condition     = contains(["Serverless", "Provisioned"], local.sku)
      error_message = "A cosmosdb sku is Serverless or Provisioned."
    }
  }
}

# --- redis: an Azure Cache for Redis -----------------------------------------------------------

resource "azurerm_redis_cache" "this" {
  count = local.is_redis ? 1 : 0

  name                          = "redis-${local.stem}-${local.suffix}"
  resource_group_name           = azurerm_resource_group.this.name
  location                      = azurerm_resource_group.this.location
  sku_name                      = local.redis_sku[0]
  family                        = local.redis_sku[1]
  capacity                      = tonumber(local.redis_sku[2])
  redis_version                 = "6"
  minimum_tls_version           = "1.2"
  non_ssl_port_enabled          = false
  public_network_access_enabled = false
  tags                          = local.tags

  redis_configuration {
    active_directory_authentication_enabled = true
  }

  lifecycle {
    precondition {
      condition     = can(regex("^((Basic|Standard)_C[0-6]|Premium_P[1-5])$", local.sku))
      error_message = "A redis sku is Basic_C0 to Basic_C6, Standard_C0 to Standard_C6 or Premium_P1 to Premium_P5."
    }
  }
}
