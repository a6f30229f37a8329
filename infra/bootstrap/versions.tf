terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile), which the main configuration's state uses.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { application = var.name, managed-by = "infra/bootstrap" }
  }
}
