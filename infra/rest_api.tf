# Option: the same routes as a REST API (var.rest_api_enabled, off by default): payload 1.0
# proxy integrations to the same functions, a Cognito authorizer, request bodies validated
# against models generated from openapi.yaml, a stage cache for the list route keyed by its
# query parameters, and a usage plan with quota, throttles per key and per method, and an API
# key. It needs the user pool created here (a REST API authorizer cannot use an external issuer).

locals {
  rest_routes = var.rest_api_enabled ? local.routes : {}

  # Each route path's segments: "/items/{id}" is ["items", "{id}"].
  rest_path_segments = {
    for path in distinct([for route in local.rest_routes : route.path]) : path => split("/", trimprefix(path, "/"))
  }
  # Every path prefix of every route, by depth: API Gateway resources form a tree, and a
  # resource's parent must be created before it.
  rest_resources = [
    for depth in [1, 2, 3] : {
      for prefix in distinct(flatten([
        for segments in values(local.rest_path_segments) : length(segments) >= depth ? ["/${join("/", slice(segments, 0, depth))}"] : []
      ])) : prefix => split("/", trimprefix(prefix, "/"))
    }
  ]
  rest_resource_ids = merge(
    { for path, resource in aws_api_gateway_resource.depth1 : path => resource.id },
    { for path, resource in aws_api_gateway_resource.depth2 : path => resource.id },
    { for path, resource in aws_api_gateway_resource.depth3 : path => resource.id },
  )

  # The list route's page is the same for every caller, so it is cached, keyed by every query
  # parameter that selects the page (the contract's `category`, `limit` and `cursor`).
  rest_cache_key_parameters = ["category", "limit", "cursor"]
  rest_cached_routes        = var.rest_cache_enabled ? { for function, route in local.rest_routes : function => route if route.use_case == "list" } : {}
  rest_query_parameters = {
    for function, route in local.rest_routes : function => route.use_case == "list" ? local.rest_cache_key_parameters : []
  }

  # The request body models, generated from openapi.yaml (see the file's `generated_by`), and
  # the model each route's body must match.
  rest_models_file = jsondecode(file("${path.module}/rest_models.json"))
  # Each model's schema as JSON text: the models differ in shape, so only their text makes one map.
  rest_models = { for name, model in local.rest_models_file.models : name => jsonencode(model) if var.rest_api_enabled }
  rest_body_models = {
    for function, route in local.rest_routes : function => local.rest_models_file.request_bodies[route.route_key]
    if contains(keys(local.rest_models_file.request_bodies), route.route_key)
  }

  # The HTTP API's access log format, in REST API context variables.
  rest_access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.httpMethod $context.resourcePath"
    caller             = "$context.authorizer.claims.sub"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    latency            = "$context.responseLatency"
    integrationLatency = "$context.integrationLatency"
    # Why API Gateway answered itself, or refused, or got no usable answer from the function.
    errorMessage     = "$context.error.message"
    authorizerError  = "$context.authorizer.error"
    integrationError = "$context.integrationErrorMessage"
    # REST APIs trace (xray_tracing_enabled): the line names the request's X-Ray trace.
    xrayTraceId = "$context.xrayTraceId"
  })
}

resource "aws_api_gateway_rest_api" "rest" {
  count = var.rest_api_enabled ? 1 : 0

  name        = "${var.name}-rest"
  description = "Items API (REST API variant, one function per route)."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  # The REST API compresses responses itself when the caller accepts it (the HTTP API cannot,
  # so there the functions do: adapters/apigateway/src/compression.rs, same 1 KB threshold).
  # Payload 1.0 responses are never compressed by the functions, so there is no double work.
  minimum_compression_size = 1024

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = local.uses_managed_user_pool
      error_message = "rest_api_enabled needs the Cognito user pool created here (leave jwt_issuer unset)."
    }
    precondition {
      condition     = alltrue([for segments in values(local.rest_path_segments) : length(segments) <= 3])
      error_message = "The REST API variant supports route paths of up to three segments; add a depth level in rest_api.tf."
    }
    # The REST integrations wait at most 29 s (min(integration_timeout_ms, 29000)).
    precondition {
      condition     = var.lambda_timeout_seconds * 1000 < min(var.integration_timeout_ms, 29000)
      error_message = "lambda_timeout_seconds must end before the REST integrations stop waiting (integration_timeout_ms, at most 29000 ms there), so that a function's own answer reaches the caller."
    }
  }
}

resource "aws_api_gateway_resource" "depth1" {
  for_each = local.rest_resources[0]

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  parent_id   = aws_api_gateway_rest_api.rest[0].root_resource_id
  path_part   = each.value[0]
}

resource "aws_api_gateway_resource" "depth2" {
  for_each = local.rest_resources[1]

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  parent_id   = aws_api_gateway_resource.depth1["/${each.value[0]}"].id
  path_part   = each.value[1]
}

resource "aws_api_gateway_resource" "depth3" {
  for_each = local.rest_resources[2]

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  parent_id   = aws_api_gateway_resource.depth2["/${each.value[0]}/${each.value[1]}"].id
  path_part   = each.value[2]
}

# A Cognito user pool authorizer has no audience setting: it accepts an ID token of any app
# client of the pool. The pool created here has exactly one client, the one the HTTP API's
# authorizer names as its audience, so both APIs accept the same tokens (infra/tests fails when
# a second client is added to the pool).
resource "aws_api_gateway_authorizer" "cognito" {
  count = var.rest_api_enabled ? 1 : 0

  name            = "cognito"
  rest_api_id     = aws_api_gateway_rest_api.rest[0].id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = aws_cognito_user_pool.users[*].arn
  identity_source = "method.request.header.Authorization"
}

# Required path parameters are checked before a function runs, and so is a JSON body against
# its operation's schema in openapi.yaml. The functions apply the same rules (and more: trimming,
# ownership, versions), so validation here only turns bad bodies away before they cost an
# invocation.
resource "aws_api_gateway_request_validator" "parameters" {
  count = var.rest_api_enabled ? 1 : 0

  name                        = "parameters"
  rest_api_id                 = aws_api_gateway_rest_api.rest[0].id
  validate_request_parameters = true
  validate_request_body       = false
}

resource "aws_api_gateway_request_validator" "body" {
  count = var.rest_api_enabled ? 1 : 0

  name                        = "body-and-parameters"
  rest_api_id                 = aws_api_gateway_rest_api.rest[0].id
  validate_request_parameters = true
  validate_request_body       = true
}

resource "aws_api_gateway_model" "body" {
  for_each = local.rest_models

  rest_api_id  = aws_api_gateway_rest_api.rest[0].id
  name         = each.key
  description  = "components/schemas/${each.key} of openapi.yaml (JSON Schema draft 4)."
  content_type = "application/json"
  schema       = each.value
}

# A body the model refuses is answered as the functions answer a bad body: a problem with the
# status 400 and one field error for the body as a whole. (Only JSON bodies are validated; any
# other content type reaches the function, which answers 415.)
resource "aws_api_gateway_gateway_response" "bad_request_body" {
  count = var.rest_api_enabled ? 1 : 0

  rest_api_id   = aws_api_gateway_rest_api.rest[0].id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"

  response_parameters = {
    "gatewayresponse.header.Content-Type" = "'application/problem+json'"
    "gatewayresponse.header.x-request-id" = "context.requestId"
  }

  response_templates = {
    "application/json" = jsonencode({
      type       = "about:blank"
      title      = "Bad Request"
      status     = 400
      detail     = "The request body does not match this operation's schema in openapi.yaml."
      request_id = "$context.requestId"
      errors     = [{ field = "body", message = "does not match the operation's request body schema" }]
    })
  }
}

resource "aws_api_gateway_method" "route" {
  for_each = local.rest_routes

  rest_api_id          = aws_api_gateway_rest_api.rest[0].id
  resource_id          = local.rest_resource_ids[each.value.path]
  http_method          = each.value.method
  authorization        = "COGNITO_USER_POOLS"
  authorizer_id        = aws_api_gateway_authorizer.cognito[0].id
  api_key_required     = var.rest_api_key_required
  request_validator_id = contains(keys(local.rest_body_models), each.key) ? aws_api_gateway_request_validator.body[0].id : aws_api_gateway_request_validator.parameters[0].id
  request_models       = contains(keys(local.rest_body_models), each.key) ? { "application/json" = aws_api_gateway_model.body[local.rest_body_models[each.key]].name } : {}
  request_parameters = merge(
    { for parameter in flatten(regexall("\\{([^/}]+)\\}", each.value.path)) : "method.request.path.${parameter}" => true },
    { for parameter in local.rest_query_parameters[each.key] : "method.request.querystring.${parameter}" => false },
  )
}

resource "aws_api_gateway_integration" "route" {
  for_each = local.rest_routes

  rest_api_id             = aws_api_gateway_rest_api.rest[0].id
  resource_id             = aws_api_gateway_method.route[each.key].resource_id
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = local.function_invoke_arns[each.key]
  timeout_milliseconds    = min(var.integration_timeout_ms, 29000)
  cache_key_parameters    = [for parameter in local.rest_query_parameters[each.key] : "method.request.querystring.${parameter}"]
}

resource "aws_lambda_permission" "rest_api" {
  for_each = local.rest_routes

  statement_id  = "AllowRestApiRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  qualifier     = local.function_qualifiers[each.key]
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.rest[0].execution_arn}/*/${each.value.method}${each.value.arn_path}"
}

resource "aws_api_gateway_deployment" "rest" {
  count = var.rest_api_enabled ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  description = "The routes of routes.json."

  # A new deployment whenever anything a deployment snapshots changes: resources, methods,
  # integrations, the authorizer, validators, models and gateway responses.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.depth1,
      aws_api_gateway_resource.depth2,
      aws_api_gateway_resource.depth3,
      aws_api_gateway_method.route,
      aws_api_gateway_integration.route,
      aws_api_gateway_authorizer.cognito,
      aws_api_gateway_request_validator.parameters,
      aws_api_gateway_request_validator.body,
      aws_api_gateway_model.body,
      aws_api_gateway_gateway_response.bad_request_body,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_method.route, aws_api_gateway_integration.route]
}

# REST API stages log through an account-wide (per region) CloudWatch role, one per account and
# region whoever sets it: with var.rest_api_account_logging_role false, this configuration
# leaves the setting to whoever owns the account's baseline (and expects it set).
locals {
  manages_account_logging_role = var.rest_api_enabled && var.rest_api_account_logging_role
}

data "aws_iam_policy_document" "api_gateway_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_logging" {
  count = local.manages_account_logging_role ? 1 : 0

  name                 = "${var.name}-apigateway-logging"
  description          = "Lets API Gateway write REST API access and execution logs."
  assume_role_policy   = data.aws_iam_policy_document.api_gateway_assume_role.json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy_attachment" "api_gateway_logging" {
  count = local.manages_account_logging_role ? 1 : 0

  role       = aws_iam_role.api_gateway_logging[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "logging" {
  count = local.manages_account_logging_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logging[0].arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_logging]
}

resource "aws_cloudwatch_log_group" "rest_access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; access log lines carry no tokens or bodies.
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days); 30 days by default keeps the cost of a test stage low.
  count = var.rest_api_enabled ? 1 : 0

  name              = "/aws/apigateway/${var.name}-rest"
  retention_in_days = var.log_retention_days
}

# The execution log group API Gateway writes ERROR lines to, created here first so it has a
# retention and goes with a destroy (API Gateway would otherwise create it, kept forever).
resource "aws_cloudwatch_log_group" "rest_execution" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; execution logs at level ERROR carry no request bodies (data_trace_enabled is false).
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days); 30 days by default keeps the cost of a test stage low.
  count = var.rest_api_enabled ? 1 : 0

  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.rest[0].id}/api"
  retention_in_days = var.log_retention_days
}

resource "aws_api_gateway_stage" "rest" {
  #checkov:skip=CKV2_AWS_29:A WAF web ACL is attached with var.rest_web_acl_arn (off by default: a web ACL is an account-level choice with its own cost); throttling and the usage plan bound abuse without one.
  #checkov:skip=CKV2_AWS_77:Which managed rule groups a web ACL holds (Log4j's included) is decided where the web ACL is made; this configuration only attaches var.rest_web_acl_arn.
  #checkov:skip=CKV2_AWS_51:Clients authenticate with Cognito tokens and API keys; client certificates are for backends that call API Gateway's integrations, which are Lambda here.
  count = var.rest_api_enabled ? 1 : 0

  rest_api_id           = aws_api_gateway_rest_api.rest[0].id
  deployment_id         = aws_api_gateway_deployment.rest[0].id
  stage_name            = "api"
  description           = "The REST API variant's only stage."
  cache_cluster_enabled = var.rest_cache_enabled
  cache_cluster_size    = var.rest_cache_enabled ? var.rest_cache_size_gb : null
  xray_tracing_enabled  = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.rest_access[0].arn
    format          = local.rest_access_log_format
  }

  depends_on = [aws_api_gateway_account.logging, aws_cloudwatch_log_group.rest_execution]
}

resource "aws_wafv2_web_acl_association" "rest" {
  count = var.rest_api_enabled && var.rest_web_acl_arn != null ? 1 : 0

  resource_arn = aws_api_gateway_stage.rest[0].arn
  web_acl_arn  = var.rest_web_acl_arn
}

# Every method: metrics, error logs and the stage's throttling, no cache.
resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:Caching is off for all methods but the list route (settings below): the other routes answer per caller and per write, so a cached answer would be wrong.
  count = var.rest_api_enabled ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  stage_name  = aws_api_gateway_stage.rest[0].stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }
}

# The list route: cached for var.rest_cache_ttl_seconds, encrypted, keyed by its query parameters.
# API Gateway caches a proxy integration's answer whatever its status: a 5xx the list function
# answers (the store unavailable) is served again until the entry expires, which is why the TTL
# is short. With CloudFront in front (cloudfront.tf) and var.rest_cache_enabled false, error
# answers are never cached.
resource "aws_api_gateway_method_settings" "cached" {
  for_each = local.rest_cached_routes

  rest_api_id = aws_api_gateway_rest_api.rest[0].id
  stage_name  = aws_api_gateway_stage.rest[0].stage_name
  method_path = "${trimprefix(each.value.path, "/")}/${each.value.method}"

  settings {
    metrics_enabled                            = true
    logging_level                              = "ERROR"
    data_trace_enabled                         = false
    throttling_burst_limit                     = var.throttling_burst_limit
    throttling_rate_limit                      = var.throttling_rate_limit
    caching_enabled                            = true
    cache_ttl_in_seconds                       = var.rest_cache_ttl_seconds
    cache_data_encrypted                       = true
    require_authorization_for_cache_control    = true
    unauthorized_cache_control_header_strategy = "SUCCEED_WITH_RESPONSE_HEADER"
  }
}

resource "aws_api_gateway_usage_plan" "rest" {
  count = var.rest_api_enabled ? 1 : 0

  name        = "${var.name}-rest"
  description = "Quota and throttle per API key."

  api_stages {
    api_id = aws_api_gateway_rest_api.rest[0].id
    stage  = aws_api_gateway_stage.rest[0].stage_name

    # Per method, within the key's overall throttle: "METHOD /path" of routes.json.
    dynamic "throttle" {
      for_each = var.rest_method_throttles

      content {
        path        = "${split(" ", throttle.key)[1]}/${split(" ", throttle.key)[0]}"
        burst_limit = throttle.value.burst_limit
        rate_limit  = throttle.value.rate_limit
      }
    }
  }

  quota_settings {
    limit  = var.rest_quota_limit
    period = var.rest_quota_period
  }

  throttle_settings {
    burst_limit = var.rest_throttle_burst_limit
    rate_limit  = var.rest_throttle_rate_limit
  }

  lifecycle {
    precondition {
      condition     = alltrue([for route_key in keys(var.rest_method_throttles) : contains([for route in local.routes : route.route_key], route_key)])
      error_message = "rest_method_throttles names a route that is not in routes.json (keys are \"METHOD /path\", e.g. \"GET /items\")."
    }
  }
}

resource "aws_api_gateway_api_key" "rest" {
  count = var.rest_api_enabled ? 1 : 0

  name        = "${var.name}-rest"
  description = "The REST API variant's client key (send it as x-api-key)."
  enabled     = true
}

resource "aws_api_gateway_usage_plan_key" "rest" {
  count = var.rest_api_enabled ? 1 : 0

  key_id        = aws_api_gateway_api_key.rest[0].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.rest[0].id
}
