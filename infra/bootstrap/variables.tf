variable "region" {
  description = "The region of the state bucket and of every stage the deploy roles manage."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "The main configuration's name prefix: each stage is named <name>-<stage> (items-api-staging, items-api-pr-12), and the deploy roles may manage only resources so named."
  type        = string
  default     = "items-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "The name must be 2 to 21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "The repository whose workflows may deploy, as owner/name (your fork)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "The repository must be given as owner/name."
  }
}

variable "environments" {
  description = "The GitHub environments that get a deploy role each; a job must run in that environment to assume it."
  type        = set(string)
  default     = ["staging", "production", "preview"]
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has at most one per URL: set false when it exists already."
  type        = bool
  default     = true
}
