variable "region" {
  description = "The AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Prefix of every resource name (functions, tables, APIs, log groups, roles)."
  type        = string
  default     = "items-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "The name must be 2 to 31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# Functions.

variable "architecture" {
  description = "Lambda instruction set: arm64 (the zips scripts/package builds) or x86_64 (scripts/package --x86-64)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "The architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of every function, in MB (CPU grows with it), overriding each function's own size from routes.json (chosen by measurement). Null keeps each function's own."
  type        = number
  default     = null

  validation {
    condition     = var.lambda_memory_mb == null || (coalesce(var.lambda_memory_mb, 128) >= 128 && coalesce(var.lambda_memory_mb, 128) <= 10240)
    error_message = "Lambda memory must be between 128 and 10240 MB."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of every route function. The DynamoDB client gives up after 5 s, so 10 s leaves room to answer 503. The stream functions have their own (stream_timeout_seconds)."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 29
    error_message = "The function timeout must be 1 to 29 seconds (API Gateway waits at most 30 s)."
  }
}

variable "permissions_boundary_arn" {
  description = "A managed policy every role of the stage carries as its permissions boundary. The pipeline's deploy roles may create roles only with their environment's boundary (infra/bootstrap: permissions_boundary_arns), which scripts/deploy passes from PERMISSIONS_BOUNDARY_ARN. Null: no boundary (an administrator's deploy)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", coalesce(var.permissions_boundary_arn, "-")))
    error_message = "permissions_boundary_arn must be the ARN of an IAM managed policy (arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "log_level" {
  description = "RUST_LOG of every function (a tracing-subscriber filter such as info, debug or info,items_dynamodb=debug). Lambda's JSON log filter is set to the most verbose level it names, so the lines it asks for are kept."
  type        = string
  default     = "info"

  validation {
    condition     = can(regex("^[A-Za-z0-9_:=,.-]+$", var.log_level))
    error_message = "The log level must be a tracing-subscriber filter: levels (trace, debug, info, warn, error), optionally per target (target=level), comma-separated."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and access log groups, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "admin_group" {
  description = "The cognito:groups entry that makes a caller an admin (ADMIN_GROUP of the functions)."
  type        = string
  default     = "admin"
}

# HTTP API.

variable "production" {
  description = "Whether this is a production stage: then the browser origins must be listed in cors_allow_origins (no \"*\")."
  type        = bool
  default     = false
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser; [\"*\"] allows any (refused when production is true); [] turns CORS off."
  type        = list(string)
  default     = ["*"]
}

variable "cors_allow_credentials" {
  description = "Whether browsers may send credentials (cookies, client certificates) cross-origin. API Gateway refuses it with the origin \"*\", and so does this configuration. The API reads tokens from the Authorization header, which needs no credentials mode."
  type        = bool
  default     = false
}

variable "throttling_burst_limit" {
  description = "Default route burst limit of the stage (requests)."
  type        = number
  default     = 200
}

variable "throttling_rate_limit" {
  description = "Default route steady rate limit of the stage (requests per second)."
  type        = number
  default     = 100
}

variable "integration_timeout_ms" {
  description = "How long API Gateway waits for a function, in milliseconds; above the route functions' timeout (lambda_timeout_seconds, which the plan checks) so the function's own answer wins."
  type        = number
  default     = 12000

  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 30000
    error_message = "The integration timeout must be 50 to 30000 ms."
  }
}

# Authorizer.

variable "jwt_issuer" {
  description = "An external JWT issuer URL (e.g. an existing Cognito user pool or another OIDC provider). Null creates a Cognito user pool, app client and admin group here."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "Audiences (aud, or client_id when aud is absent) the authorizer accepts from the external issuer. Ignored when the user pool is created here."
  type        = list(string)
  default     = []
}

# Cognito user pool (when created here).

variable "user_pool_deletion_protection" {
  description = "Cognito deletion protection on the user pool created here: the pool and its users cannot be deleted until it is set false (and applied)."
  type        = bool
  default     = true
}

variable "cognito_allow_user_password_auth" {
  description = "Allow USER_PASSWORD_AUTH on the app client (the password sent to Cognito as is, over TLS), as scripted sign-ins of a test stage use. Off: apps sign in with SRP."
  type        = bool
  default     = false
}

variable "cognito_mfa" {
  description = "Multi-factor authentication with an authenticator app (TOTP): OFF, OPTIONAL (users may enrol) or ON (every user must)."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.cognito_mfa)
    error_message = "cognito_mfa must be OFF, OPTIONAL or ON."
  }
}

variable "cognito_threat_protection" {
  description = "Cognito threat protection (compromised credentials, adaptive authentication): OFF, AUDIT (metrics only) or ENFORCED. Anything but OFF puts the pool on the Plus feature plan, billed per monthly active user."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.cognito_threat_protection)
    error_message = "cognito_threat_protection must be OFF, AUDIT or ENFORCED."
  }
}

# Tables.

variable "table_deletion_protection" {
  description = "DynamoDB deletion protection. Set false (and apply) before terraform destroy."
  type        = bool
  default     = true
}

# Options, each off by default.

variable "custom_domain_name" {
  description = "A custom domain for the HTTP API (e.g. api.example.com), with an ACM certificate validated in Route 53. Null: no custom domain."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "The Route 53 hosted zone of custom_domain_name (certificate validation and alias record)."
  type        = string
  default     = null
}

variable "provisioned_concurrency" {
  description = "Provisioned concurrency per function name, e.g. { \"get-item\" = 2 }. Such a function is published, and its routes target a `live` alias with that concurrency."
  type        = map(number)
  default     = {}
}

variable "warmup_enabled" {
  description = "Send every function a scheduled {\"warmup\": true} event to keep an instance warm."
  type        = bool
  default     = false
}

variable "warmup_schedule" {
  description = "The warm-up rule's schedule expression."
  type        = string
  default     = "rate(5 minutes)"
}

variable "rest_api_enabled" {
  description = "Also serve the routes through a REST API (payload 1.0 proxy integrations, Cognito authorizer, stage cache, usage plan with an API key). Needs the user pool created here."
  type        = bool
  default     = false
}

variable "rest_api_key_required" {
  description = "Whether the REST API's methods require the usage plan's API key (x-api-key header)."
  type        = bool
  default     = true
}

variable "rest_api_account_logging_role" {
  description = "Whether this configuration sets the region's account-wide API Gateway CloudWatch Logs role (aws_api_gateway_account), which REST API logging needs. Set false where the account's baseline already sets it: there is one such setting per account and region, and the last writer wins."
  type        = bool
  default     = true
}

variable "rest_cache_enabled" {
  description = "The REST stage's cache for the list route. API Gateway caches a proxy integration's answer whatever its status, so a 5xx can be served again for up to rest_cache_ttl_seconds; CloudFront (cloudfront_enabled) caches only successful answers."
  type        = bool
  default     = true
}

variable "rest_cache_size_gb" {
  description = "The REST stage's cache cluster size (GB, as API Gateway names sizes)."
  type        = string
  default     = "0.5"
}

variable "rest_cache_ttl_seconds" {
  description = "How long the REST stage caches GET /items pages (keyed by category, limit and cursor)."
  type        = number
  default     = 30
}

variable "rest_quota_limit" {
  description = "Requests per quota period the REST usage plan allows an API key."
  type        = number
  default     = 100000
}

variable "rest_quota_period" {
  description = "The REST usage plan's quota period: DAY, WEEK or MONTH."
  type        = string
  default     = "MONTH"
}

variable "rest_throttle_burst_limit" {
  description = "The REST usage plan's burst limit per API key."
  type        = number
  default     = 100
}

variable "rest_throttle_rate_limit" {
  description = "The REST usage plan's steady rate limit per API key (requests per second)."
  type        = number
  default     = 50
}

variable "rest_method_throttles" {
  description = "Throttles per method inside the usage plan, applied to each API key on top of its overall throttle, by routes.json route key. The default holds partner keys' list calls to 50 requests per second with bursts of 100."
  type = map(object({
    rate_limit  = number
    burst_limit = number
  }))
  default = {
    "GET /items" = { rate_limit = 50, burst_limit = 100 }
  }
}

variable "rest_web_acl_arn" {
  description = "The ARN of an AWS WAF (wafv2, REGIONAL scope) web ACL to attach to the REST stage. Null: none."
  type        = string
  default     = null
}

variable "cloudfront_enabled" {
  description = "A CloudFront distribution in front of the API (cloudfront_origin): TLS at the edge, a WAF attachment point, and optional caching of the list route per caller."
  type        = bool
  default     = false
}

variable "cloudfront_origin" {
  description = "What the distribution fronts: http (the HTTP API) or rest (the REST stage; needs rest_api_enabled)."
  type        = string
  default     = "http"

  validation {
    condition     = contains(["http", "rest"], var.cloudfront_origin)
    error_message = "cloudfront_origin must be http or rest."
  }
}

variable "cloudfront_list_cache_ttl_seconds" {
  description = "How long CloudFront keeps a successful list page, per caller (Authorization, x-api-key) and query; 0 caches nothing. A caller sees their own writes in the list only after this long."
  type        = number
  default     = 0

  validation {
    condition     = var.cloudfront_list_cache_ttl_seconds >= 0 && var.cloudfront_list_cache_ttl_seconds <= 3600
    error_message = "cloudfront_list_cache_ttl_seconds must be 0 to 3600."
  }
}

variable "cloudfront_price_class" {
  description = "The distribution's price class: PriceClass_100 (North America, Europe), PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "cloudfront_web_acl_arn" {
  description = "The ARN of an AWS WAF (wafv2, CLOUDFRONT scope, made in us-east-1) web ACL to attach to the distribution. Null: none."
  type        = string
  default     = null
}

variable "alarms_enabled" {
  description = "CloudWatch alarms on the API's 5xx rate and each function's errors and throttles, to an SNS topic."
  type        = bool
  default     = false
}

variable "alarm_email" {
  description = "An address subscribed to the alarm topic (it must confirm the subscription). Null: subscribe yourself."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "An existing SNS topic the alarms notify (e.g. one the on-call tooling subscribes to). Null: a topic is created here."
  type        = string
  default     = null
}

variable "alarm_p99_duration_ms" {
  description = "A function's p99 duration (ms) that, held for 15 minutes, raises its duration alarm."
  type        = number
  default     = 1000
}

variable "alarm_stream_iterator_age_seconds" {
  description = "The age (s) of the oldest record a stream function has yet to process that raises its iterator age alarm: the change events are that late."
  type        = number
  default     = 300
}

variable "alarm_5xx_rate_threshold" {
  description = "The share of requests answered 5xx (0 to 1) over 5 minutes that raises the API alarm."
  type        = number
  default     = 0.01
}

variable "dashboard_enabled" {
  description = "A CloudWatch dashboard with a row per route: requests by status class, latency, the function's invocations, errors, throttles and cold starts, and its DynamoDB operations."
  type        = bool
  default     = true
}
