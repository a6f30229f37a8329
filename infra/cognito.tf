# The JWT issuer: a Cognito user pool, app client and admin group created here, unless an
# external issuer is given (var.jwt_issuer and var.jwt_audience).

locals {
  uses_managed_user_pool = var.jwt_issuer == null

  jwt_issuer = local.uses_managed_user_pool ? "https://${one(aws_cognito_user_pool.users[*].endpoint)}" : var.jwt_issuer
  # API Gateway accepts a token whose `aud` (ID tokens) or, without `aud`, whose `client_id`
  # (access tokens) is one of these.
  jwt_audience = local.uses_managed_user_pool ? aws_cognito_user_pool_client.api[*].id : var.jwt_audience

  # Threat protection (Cognito's advanced security features) needs the Plus feature plan.
  cognito_threat_protection_on = var.cognito_threat_protection != "OFF"

  # The flows the app client allows: SRP and refresh always; the password sent as is (over
  # TLS) only where a team turns it on, e.g. for a test stage's scripted sign-ins.
  cognito_auth_flows = concat(
    ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    var.cognito_allow_user_password_auth ? ["ALLOW_USER_PASSWORD_AUTH"] : [],
  )
}

resource "aws_cognito_user_pool" "users" {
  count = local.uses_managed_user_pool ? 1 : 0

  name                     = "${var.name}-users"
  deletion_protection      = var.user_pool_deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = var.cognito_mfa
  auto_verified_attributes = []
  # The Plus plan only where threat protection needs it; otherwise the pool keeps the plan it
  # has (Essentials for new pools), so an existing pool's billing is not changed by this.
  user_pool_tier = local.cognito_threat_protection_on ? "PLUS" : null

  # MFA, when asked for, with an authenticator app (TOTP): no SMS role or spend to run.
  dynamic "software_token_mfa_configuration" {
    for_each = var.cognito_mfa == "OFF" ? [] : [true]

    content {
      enabled = true
    }
  }

  dynamic "user_pool_add_ons" {
    for_each = local.cognito_threat_protection_on ? [var.cognito_threat_protection] : []

    content {
      advanced_security_mode = user_pool_add_ons.value
    }
  }

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
  # A public client (no secret): SRP from an app, or, with
  # var.cognito_allow_user_password_auth, `aws cognito-idp initiate-auth` with USER_PASSWORD_AUTH.
  generate_secret               = false
  explicit_auth_flows           = local.cognito_auth_flows
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
