# The JWT issuer: a Cognito user pool, app client and admin group created here, unless an
# external issuer is given (var.jwt_issuer and var.jwt_audience).

locals {
  uses_managed_user_pool = var.jwt_issuer == null

  jwt_issuer = local.uses_managed_user_pool ? "https://${one(aws_cognito_user_pool.users[*].endpoint)}" : var.jwt_issuer
  # API Gateway accepts a token whose `aud` (ID tokens) or, without `aud`, whose `client_id`
  # (access tokens) is one of these.
  jwt_audience = local.uses_managed_user_pool ? aws_cognito_user_pool_client.api[*].id : var.jwt_audience
}

resource "aws_cognito_user_pool" "users" {
  count = local.uses_managed_user_pool ? 1 : 0

  name                     = "${var.name}-users"
  deletion_protection      = "INACTIVE"
  mfa_configuration        = "OFF"
  auto_verified_attributes = []

  # Users are created by an administrator (see infra/README.md), not by signing up.
  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false
    temporary_password_validity_days = 3
  }
}

resource "aws_cognito_user_pool_client" "api" {
  count = local.uses_managed_user_pool ? 1 : 0

  name         = "${var.name}-client"
  user_pool_id = aws_cognito_user_pool.users[0].id
  # A public client (no secret): tokens from `aws cognito-idp initiate-auth` with
  # USER_PASSWORD_AUTH, or SRP from an app.
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  access_token_validity         = 60
  id_token_validity             = 60
  refresh_token_validity        = 30

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_group" "admin" {
  count = local.uses_managed_user_pool ? 1 : 0

  name         = var.admin_group
  user_pool_id = aws_cognito_user_pool.users[0].id
  description  = "Callers who may update and delete any item."
}
