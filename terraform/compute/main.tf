# Authenticates from the environment (ARM_CLIENT_ID, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID,
# ARM_USE_OIDC for workload identity); no credential is ever written here. Resource providers
# are checked by the preflight step, so the provider does not try to register them.
provider "azurerm" {
  features {}

  resource_provider_registrations = "none"
}

locals {
  kind = "compute"
  # Some Azure names refuse consecutive hyphens, which the request's name allows.
  stem = "${replace(var.name, "/-+/", "-")}-${var.environment}"

  is_kubernetes = var.resource_type == "kubernetes"
  is_vm         = var.resource_type == "vm"

  admin_username = "azureuser"

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

# --- kubernetes: an AKS cluster -------------------------------------------------------------

resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_6:The requester's network is unknown; the public API server only accepts Entra ID tokens (local accounts are off, Azure RBAC is on)
  #checkov:skip=CKV_AZURE_115:A private cluster needs a private DNS zone and a network path for the requester, out of scope for a self-service cluster
  #checkov:skip=CKV_AZURE_117:Customer-managed disk encryption needs a Key Vault and a disk encryption set per stack; platform-managed keys encrypt the disks at rest
  #checkov:skip=CKV_AZURE_4:Container insights needs a Log Analytics workspace per stack, a cost the requester has not asked for
  #checkov:skip=CKV_AZURE_226:Ephemeral OS disks need a VM size with a cache or temp disk large enough, and the default Standard_D2s_v5 has none
  #checkov:skip=CKV_AZURE_227:Encryption at host needs the EncryptionAtHost feature registered on the subscription, which the platform does not assume
  #checkov:skip=CKV_AZURE_232:The cluster has one node pool, so system and user workloads must share it
  #checkov:skip=CKV_AZURE_170:The paid Standard tier (uptime SLA) is used in prod only; dev, test and staging use Free
  count = local.is_kubernetes ? 1 : 0

  name                = "aks-${local.stem}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  dns_prefix          = local.stem
  node_resource_group = "${azurerm_resource_group.this.name}-nodes"
  sku_tier            = var.environment == "prod" ? "Standard" : "Free"

  automatic_upgrade_channel = "patch"
  node_os_upgrade_channel   = "NodeImage"

  role_based_access_control_enabled = true
  local_account_disabled            = true
  oidc_issuer_enabled               = true
  workload_identity_enabled         = true
  azure_policy_enabled              = true
  image_cleaner_enabled             = true
  image_cleaner_interval_hours      = 48

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
  }

  default_node_pool {
    name                        = "system"
    vm_size                     = var.vm_size
    node_count                  = var.node_count
    max_pods                    = 110
    temporary_name_for_rotation = "systemtmp"
    tags                        = local.tags

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
    network_policy      = "cilium"
    load_balancer_sku   = "standard"
  }

  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  tags = local.tags
}

# --- vm: a Linux virtual machine without a public IP ------------------------------------------

resource "azurerm_virtual_network" "this" {
  count = local.is_vm ? 1 : 0

  name                = "vnet-${local.stem}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = ["10.20.0.0/24"]
  tags                = local.tags
}

resource "azurerm_subnet" "this" {
  count = local.is_vm ? 1 : 0

  name                 = "snet-vm"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this[0].name
  address_prefixes     = ["10.20.0.0/26"]
}

# No inbound rules: Azure's default rules admit traffic from the virtual network only.
resource "azurerm_network_security_group" "this" {
  count = local.is_vm ? 1 : 0

  name                = "nsg-${local.stem}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

resource "azurerm_subnet_network_security_group_association" "this" {
  count = local.is_vm ? 1 : 0

  subnet_id                 = azurerm_subnet.this[0].id
  network_security_group_id = azurerm_network_security_group.this[0].id
}

resource "azurerm_network_interface" "this" {
  count = local.is_vm ? 1 : 0

  name                = "nic-${local.stem}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.this[0].id
    private_ip_address_allocation = "Dynamic"
  }
}

resource "tls_private_key" "ssh" {
  count = local.is_vm ? 1 : 0

  algorithm = "ED25519"
}

resource "azurerm_linux_virtual_machine" "this" {
  count = local.is_vm ? 1 : 0

  name                            = "vm-${local.stem}"
  location                        = azurerm_resource_group.this.location
  resource_group_name             = azurerm_resource_group.this.name
  size                            = var.vm_size
  admin_username                  = local.admin_username
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.this[0].id]
  allow_extension_operations      = false
  secure_boot_enabled             = true
  vtpm_enabled                    = true
  tags                            = local.tags

  admin_ssh_key {
    username   = local.admin_username
    public_key = tls_private_key.ssh[0].public_key_openssh
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "StandardSSD_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  identity {
    type = "SystemAssigned"
  }

  # Managed boot diagnostics storage: serial console and screenshots without an extra account.
  boot_diagnostics {}
}
