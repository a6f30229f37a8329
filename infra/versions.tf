terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 5.100.0 (terraform validate and plan). 6.x is left out until
      # tested: it changes provider-wide behaviour (per-resource region) and deprecates the
      # `hash_key`/`range_key` arguments of a global secondary index that dynamodb.tf uses, in
      # favour of `key_schema` blocks that 5.x does not know.
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ application = var.name }, var.tags)
  }
}
