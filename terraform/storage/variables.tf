# One variable per field of the storage request (idp.contract.StorageRequest), same names,
# types, defaults and rules. tests/test_terraform_contract.py proves they agree, so change the
# request model and this file together.

variable "request_id" {
  type        = string
  nullable    = false
  description = "Idempotency key of the request (a lowercase UUID fits); tagged on every resource."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,34}[a-z0-9])?$", var.request_id)) && length(var.request_id) <= 256
    error_message = "request_id must be 1 to 36 lowercase letters, digits or inner hyphens."
  }
}

variable "name" {
  type        = string
  nullable    = false
  description = "Stem of every Azure name in this stack."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name)) && length(var.name) <= 256
    error_message = "name must be 3 to 24 characters: a lowercase letter, then lowercase letters, digits or hyphens, ending in a letter or digit."
  }
}

variable "environment" {
  type        = string
  nullable    = false
  description = "Deployment environment."

  validation {
    condition     = contains(["dev", "test", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, test, staging, prod."
  }
}

# The allowed regions are platform settings (idp.settings.DEFAULT_REGIONS, overridable per
# installation) and the validate step checks them before Terraform runs, so this rule checks
# only the shape of an Azure region name and does not repeat the list.
variable "region" {
  type        = string
  nullable    = false
  description = "Azure region of every resource; one of the platform's allowed regions."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,30}$", var.region)) && length(var.region) <= 256
    error_message = "region must be an Azure region name such as westeurope (lowercase, no spaces)."
  }
}

variable "cloud_provider" {
  type        = string
  nullable    = false
  default     = "azure"
  description = "Cloud provider of the request; only azure is supported."

  validation {
    condition     = contains(["azure"], var.cloud_provider)
    error_message = "cloud_provider must be azure."
  }
}

variable "resource_type" {
  type        = string
  nullable    = false
  description = "What to build: blob (a storage account with a private container) or fileshare (a storage account with a file share)."

  validation {
    condition     = contains(["blob", "fileshare"], var.resource_type)
    error_message = "resource_type must be blob or fileshare."
  }
}

variable "requester_name" {
  type        = string
  nullable    = false
  description = "Display name of the person who asked for the resource."

  validation {
    condition     = length(var.requester_name) >= 1 && length(var.requester_name) <= 100
    error_message = "requester_name must be 1 to 100 characters."
  }
}

variable "requester_email" {
  type        = string
  nullable    = false
  description = "E-mail address of the requester; tagged as requester on every resource."

  validation {
    condition     = can(regex("^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$", var.requester_email)) && length(var.requester_email) <= 256
    error_message = "requester_email must be an e-mail address."
  }
}

variable "action" {
  type        = string
  nullable    = false
  default     = "provision"
  description = "provision, destroy or preview; read by the plan step, which plans a destroy for destroy and a provision, without the state lock, for preview."

  validation {
    condition     = contains(["provision", "destroy", "preview"], var.action)
    error_message = "action must be provision, destroy or preview."
  }
}

variable "ttl_hours" {
  type        = number
  nullable    = false
  default     = 0
  description = "Hours after its apply that the stack expires (0: never); recorded in the registry and tagged."

  validation {
    condition     = var.ttl_hours >= 0 && var.ttl_hours <= 8760 && floor(var.ttl_hours) == var.ttl_hours
    error_message = "ttl_hours must be a whole number from 0 to 8760."
  }
}

variable "sku" {
  type        = string
  nullable    = false
  default     = "Standard_LRS"
  description = "Storage SKU as <tier>_<replication>; Premium_LRS makes a BlockBlobStorage (blob) or FileStorage (fileshare) account."

  validation {
    condition     = contains(["Standard_LRS", "Standard_GRS", "Standard_ZRS", "Premium_LRS"], var.sku)
    error_message = "sku must be one of Standard_LRS, Standard_GRS, Standard_ZRS, Premium_LRS."
  }
}

variable "quota_gb" {
  type        = number
  nullable    = false
  default     = 100
  description = "Size of the file share in GiB (fileshare only; premium shares are provisioned at 100 GiB or more)."

  validation {
    condition     = var.quota_gb >= 1 && var.quota_gb <= 5120 && floor(var.quota_gb) == var.quota_gb
    error_message = "quota_gb must be a whole number from 1 to 5120."
  }
}
