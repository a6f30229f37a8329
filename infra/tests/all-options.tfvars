# Every option turned on, for the offline checks (checkov evaluates count and for_each with these
# values, so the optional resources are checked too). Not for a real deployment: the domain and
# zone are placeholders.
custom_domain_name      = "api.example.com"
route53_zone_id         = "Z0000000000000000000"
provisioned_concurrency = { "get-item" = 1, "list-items" = 1 }
warmup_enabled          = true
rest_api_enabled        = true
alarms_enabled          = true
alarm_email             = "alerts@example.com"
