# Authenticates from the environment (ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID,
# ARM_USE_OIDC for workload identity); no credential is ever written here. The account may
# refuse Shared Key, so the provider uses Entra ID for storage and manages the container and
# share through Azure Resource Manager only (no data-plane calls from the plan/apply pods).
provider "azurerm" {
  features {
    storage {
      data_plane_available = false
    }
  }

  resource_provider_registrations = "none"
  storage_use_azuread             = true
}

locals {
  kind = "storage"

  # Container and share names must not hold consecutive hyphens, which the request allows.
  child_name = replace(var.name, "/-+/", "-")

  is_blob  = var.resource_type == "blob"
  is_share = var.resource_type == "fileshare"

  # "Premium_LRS" -> tier "Premium", replication "LRS".
  account_tier     = split("_", var.sku)[0]
  replication_type = split("_", var.sku)[1]
  premium          = local.account_tier == "Premium"
  account_kind     = local.premium ? (local.is_share ? "FileStorage" : "BlockBlobStorage") : "StorageV2"

  # Premium file shares are provisioned, with 100 GiB the smallest size Azure accepts.
  share_quota = local.premium ? max(var.quota_gb, 100) : var.quota_gb

  # 3-24 lowercase letters and digits, unique across Azure: "st", the name without hyphens
  # (at most 14 characters), the environment's initial and 6 hex digits of a hash of both.
  account_name = join("", [
    "st",
    substr(replace(var.name, "-", ""), 0, 14),
    substr(var.environment, 0, 1),
    substr(sha256("${var.name}/${var.environment}"), 0, 6),
  ])

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

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_59:Private endpoints and the requester's networks are out of scope; blob access needs Entra ID, share access the account key, both over HTTPS with TLS 1.2
  #checkov:skip=CKV2_AZURE_33:Private endpoints are out of scope for a self-service account; see CKV_AZURE_59
  #checkov:skip=CKV_AZURE_206:Replication follows the requested sku; geo-redundancy is a cost the requester chooses (Standard_GRS)
  #checkov:skip=CKV2_AZURE_1:Customer-managed keys need a Key Vault per stack; Microsoft-managed keys plus infrastructure encryption protect data at rest
  #checkov:skip=CKV_AZURE_43:The name is built from name, environment and a hash within the rules (3-24 lowercase letters and digits); checkov cannot evaluate sha256
  #checkov:skip=CKV2_AZURE_41:Shared Key follows resource_type, which checkov cannot resolve; where keys are on (fileshare) sas_policy caps SAS lifetime at one day
  #checkov:skip=CKV2_AZURE_40:File shares are mounted over SMB with the account key; blob accounts turn Shared Key off (shared_access_key_enabled follows resource_type)
  name                              = local.account_name
  resource_group_name               = azurerm_resource_group.this.name
  location                          = azurerm_resource_group.this.location
  account_kind                      = local.account_kind
  account_tier                      = local.account_tier
  account_replication_type          = local.replication_type
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = local.is_share
  default_to_oauth_authentication   = true
  local_user_enabled                = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  tags                              = local.tags

  sas_policy {
    expiration_period = "01.00:00:00"
  }

  # blob_properties is not supported on FileStorage accounts, so it is set for blob only.
  dynamic "blob_properties" {
    for_each = local.is_blob ? [1] : []

    content {
      delete_retention_policy {
        days = 7
      }

      container_delete_retention_policy {
        days = 7
      }
    }
  }

  dynamic "share_properties" {
    for_each = local.is_share ? [1] : []

    content {
      retention_policy {
        days = 7
      }

      smb {
        versions                = ["SMB3.0", "SMB3.1.1"]
        channel_encryption_type = ["AES-128-CCM", "AES-128-GCM", "AES-256-GCM"]
      }
    }
  }
}

resource "azurerm_storage_container" "this" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging needs a Log Analytics workspace per stack, a cost the requester has not asked for
  count = local.is_blob ? 1 : 0

  name                  = local.child_name
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_storage_share" "this" {
  count = local.is_share ? 1 : 0

  name               = local.child_name
  storage_account_id = azurerm_storage_account.this.id
  quota              = local.share_quota
  enabled_protocol   = "SMB"
  access_tier        = local.premium ? "Premium" : "TransactionOptimized"
}
