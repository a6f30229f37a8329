# The HTTP API: one route per routes.json entry, each behind the JWT authorizer and integrated
# with its own function (payload 2.0); CORS, throttling and JSON access logs on the stage.

locals {
  # Functions with provisioned concurrency are reached through their `live` alias.
  function_invoke_arns = {
    for function in keys(local.routes) :
    function => contains(keys(local.provisioned_functions), function) ? aws_lambda_alias.live[function].invoke_arn : aws_lambda_function.function[function].invoke_arn
  }
  function_qualifiers = {
    for function in keys(local.routes) :
    function => contains(keys(local.provisioned_functions), function) ? aws_lambda_alias.live[function].name : null
  }
}

resource "aws_apigatewayv2_api" "http" {
  name          = "${var.name}-http"
  description   = "Items API (HTTP API, one function per route)."
  protocol_type = "HTTP"

  # As the local stage answers: the API's methods, the headers it reads, the ones a client reads.
  # No origins, no CORS: browsers on other origins are refused.
  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [var.cors_allow_origins] : []

    content {
      allow_origins     = cors_configuration.value
      allow_credentials = var.cors_allow_credentials
      allow_methods     = sort(distinct(concat([for route in local.routes : route.method], ["OPTIONS"])))
      allow_headers     = ["authorization", "content-type", "idempotency-key", "if-match"]
      expose_headers    = ["etag", "location", "retry-after", "x-request-id"]
      max_age           = 600
    }
  }

  lifecycle {
    precondition {
      condition     = !(var.cors_allow_credentials && contains(var.cors_allow_origins, "*"))
      error_message = "cors_allow_credentials cannot be true while cors_allow_origins holds \"*\": API Gateway (and browsers) refuse credentials with a wildcard origin. List the origins instead."
    }
    precondition {
      condition     = !(var.production && contains(var.cors_allow_origins, "*"))
      error_message = "A production stage (production = true) must list its browser origins in cors_allow_origins, e.g. [\"https://app.example.com\"], or set [] for no browser access; \"*\" is for development stages."
    }
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.http.id
  name             = "jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = local.jwt_issuer
    audience = local.jwt_audience
  }

  lifecycle {
    # With no audience, a token of any client of the issuer would be accepted.
    precondition {
      condition     = length(local.jwt_audience) > 0 && alltrue([for audience in local.jwt_audience : trimspace(audience) != ""])
      error_message = "jwt_audience must name at least one audience (the app client ids) when jwt_issuer is set: an authorizer without one would accept any client's tokens."
    }
  }
}

resource "aws_cloudwatch_log_group" "http_access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; access log lines carry no tokens or bodies.
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days); 30 days by default keeps the cost of a test stage low.
  name              = "/aws/apigateway/${var.name}-http"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.http_access.arn
    format          = local.http_access_log_format
  }

  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = true
  }

  lifecycle {
    # A function still running when API Gateway stops waiting answers nobody: the caller gets
    # API Gateway's 503 instead of the function's own answer (its 503 problem after a store
    # timeout, say).
    precondition {
      condition     = var.lambda_timeout_seconds * 1000 < var.integration_timeout_ms
      error_message = "lambda_timeout_seconds must end before the route integrations stop waiting (integration_timeout_ms), so that a function's own answer reaches the caller."
    }
  }
}

resource "aws_apigatewayv2_integration" "function" {
  for_each = local.routes

  api_id                 = aws_apigatewayv2_api.http.id
  description            = each.value.route_key
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = local.function_invoke_arns[each.key]
  payload_format_version = "2.0"
  timeout_milliseconds   = var.integration_timeout_ms
}

resource "aws_apigatewayv2_route" "function" {
  for_each = local.routes

  api_id             = aws_apigatewayv2_api.http.id
  route_key          = each.value.route_key
  target             = "integrations/${aws_apigatewayv2_integration.function[each.key].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

# Each function may be invoked by its own route only: this API, any stage, this method and path
# (path parameters as `*`).
resource "aws_lambda_permission" "http_api" {
  for_each = local.routes

  statement_id  = "AllowHttpApiRoute"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  qualifier     = local.function_qualifiers[each.key]
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/${each.value.method}${each.value.arn_path}"
}
