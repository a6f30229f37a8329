output "api_url" {
  description = "The API's base URL (E2E_BASE_URL): the custom domain when one is set, else the HTTP API's default endpoint."
  value       = local.custom_domain_enabled ? "https://${var.custom_domain_name}" : aws_apigatewayv2_api.http.api_endpoint
}

output "http_api_endpoint" {
  description = "The HTTP API's execute-api endpoint."
  value       = aws_apigatewayv2_api.http.api_endpoint
}

output "rest_api_url" {
  description = "The REST API variant's stage URL, when enabled."
  value       = one(aws_api_gateway_stage.rest[*].invoke_url)
}

output "rest_api_key" {
  description = "The REST API variant's API key (x-api-key), when enabled."
  value       = one(aws_api_gateway_api_key.rest[*].value)
  sensitive   = true
}

output "jwt_issuer" {
  description = "The issuer the authorizer trusts."
  value       = local.jwt_issuer
}

output "user_pool_id" {
  description = "The Cognito user pool created here (null with an external issuer)."
  value       = one(aws_cognito_user_pool.users[*].id)
}

output "user_pool_client_id" {
  description = "The app client to sign in with (USER_PASSWORD_AUTH); the authorizer's audience."
  value       = one(aws_cognito_user_pool_client.api[*].id)
}

output "admin_group" {
  description = "The group that makes a user an admin."
  value       = var.admin_group
}

output "items_table_name" {
  description = "The items table."
  value       = aws_dynamodb_table.items.name
}

output "idempotency_table_name" {
  description = "The idempotency records table."
  value       = aws_dynamodb_table.idempotency.name
}

output "function_names" {
  description = "The Lambda function of each route, by routes.json function name."
  value       = { for function in keys(local.routes) : function => aws_lambda_function.function[function].function_name }
}

output "access_log_group" {
  description = "The HTTP API's access log group."
  value       = aws_cloudwatch_log_group.http_access.name
}

output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify, when enabled (created here, or var.alarm_topic_arn)."
  value       = one(local.alarm_topic_arns)

  # A topic created here with no subscriber notifies no one: a production stage's alarms must
  # reach someone.
  precondition {
    condition     = !(var.production && var.alarms_enabled) || var.alarm_topic_arn != null || var.alarm_email != null
    error_message = "A production stage (production = true) with alarms_enabled must name where its alarms go: set alarm_topic_arn (a topic your on-call tooling subscribes to) or alarm_email, e.g. in infra/stages/production.tfvars."
  }
}

output "dashboard_name" {
  description = "The CloudWatch dashboard, when enabled."
  value       = one(aws_cloudwatch_dashboard.api[*].dashboard_name)
}

output "cloudfront_url" {
  description = "The CloudFront distribution's URL in front of the API, when enabled."
  value       = one(aws_cloudfront_distribution.api[*].domain_name) == null ? null : "https://${one(aws_cloudfront_distribution.api[*].domain_name)}"
}
