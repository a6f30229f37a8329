variable "region" {
  description = "The region of the state bucket and of every stage the deploy roles manage."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "The main configuration's name prefix: each stage is named <name>-<stage> (items-api-staging, items-api-pr-12), and each deploy role may manage only the resources of its own environment's stages (var.environments)."
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
  description = "Each GitHub environment that gets a deploy role (a job must run in that environment to assume it), and the stages (scripts/deploy STAGE) that role may deploy: one stage name, or a prefix ending in * (pr-* for every pull request's preview). Each role gets its own policy and permissions boundary, limited to those stages' resources and state."
  type        = map(string)
  default = {
    staging    = "staging"
    production = "production"
    preview    = "pr-*"
  }

  validation {
    # A stage name as scripts/deploy accepts it, or a prefix of one followed by *.
    condition     = alltrue([for stage in values(var.environments) : can(regex("^[a-z][a-z0-9-]{0,15}$", stage)) || can(regex("^[a-z][a-z0-9-]{0,14}-\\*$", stage))])
    error_message = "Each environment's stages must be a stage name (lowercase letters, digits, hyphens, starting with a letter) or a prefix ending in -* (e.g. pr-*)."
  }

  validation {
    # A stage's resources are named <name>-<stage>-...: two environments whose stages could
    # share a name prefix would reach each other's resources.
    condition = alltrue(flatten([
      for environment, stage in var.environments : [
        for other, other_stage in var.environments :
        environment == other || !(
          stage == other_stage ||
          startswith(other_stage, endswith(stage, "*") ? trimsuffix(stage, "*") : "${stage}-") ||
          startswith(stage, endswith(other_stage, "*") ? trimsuffix(other_stage, "*") : "${other_stage}-")
        )
      ]
    ]))
    error_message = "Two environments' stages overlap (one environment's stage names begin with another's, followed by a hyphen): each environment must own its stages alone."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account has at most one per URL: set false when it exists already."
  type        = bool
  default     = true
}
