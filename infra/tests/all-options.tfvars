# Every option turned on, for the offline checks (checkov evaluates count and for_each with these
# values, so the optional resources are checked too). Not for a real deployment: the domain and
# zone are placeholders.
custom_domain_name                = "api.example.com"
route53_zone_id                   = "Z0000000000000000000"
provisioned_concurrency           = { "get-item" = 1, "list-items" = 1 }
warmup_enabled                    = true
rest_api_enabled                  = true
alarms_enabled                    = true
alarm_email                       = "alerts@example.com"
production                        = true
cors_allow_origins                = ["https://app.example.com"]
cors_allow_credentials            = true
cognito_mfa                       = "OPTIONAL"
cognito_threat_protection         = "ENFORCED"
cognito_allow_user_password_auth  = true
rest_web_acl_arn                  = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/items/00000000-0000-0000-0000-000000000000"
cloudfront_enabled                = true
cloudfront_origin                 = "rest"
cloudfront_list_cache_ttl_seconds = 10
cloudfront_web_acl_arn            = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/items/00000000-0000-0000-0000-000000000000"
alarm_p99_duration_ms             = 500
permissions_boundary_arn          = "arn:aws:iam::123456789012:policy/items-api-boundary-staging"
