# The deploy roles' policies and the stage roles' permissions boundaries, evaluated offline
# against a mock AWS provider: each environment's role may make every call an apply of its own
# stage makes (resource types of infra/*.tf: infra/tests/terraform_checks.py fails when one has
# no entry in var.needs), and none that reaches another environment's stage or state.
#
# The evaluation is IAM's, reduced to what these policies use: `*` wildcards in actions,
# resources and condition values; Allow conditions ArnLike, ArnEquals, StringEquals; Deny
# conditions Null and StringNotLike besides. A request is allowed when an Allow statement
# matches it and no Deny statement does.
#
# In var.needs, STAGE is the stage's name (items-api-staging), SUFFIX its part after the project
# name (staging, the state key), BOUNDARY the permissions boundary of the environment under
# test. `shared` marks a call AWS cannot scope to a stage: it is not expected to be refused
# for another environment's stage.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  github_repository = "example/items-api"

  needs = [
    # State (scripts/deploy: stages/<stage>.tfstate and its lock file).
    { type = "state", action = "s3:GetObject", resource = "arn:aws:s3:::items-api-tfstate-123456789012/stages/SUFFIX.tfstate", context = {}, shared = false },
    { type = "state", action = "s3:PutObject", resource = "arn:aws:s3:::items-api-tfstate-123456789012/stages/SUFFIX.tfstate.tflock", context = {}, shared = false },
    { type = "state", action = "s3:DeleteObject", resource = "arn:aws:s3:::items-api-tfstate-123456789012/stages/SUFFIX.tfstate.tflock", context = {}, shared = false },
    { type = "state", action = "s3:ListBucket", resource = "arn:aws:s3:::items-api-tfstate-123456789012", context = {}, shared = true },
    # Functions.
    { type = "aws_lambda_function", action = "lambda:CreateFunction", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item", context = {}, shared = false },
    { type = "aws_lambda_function", action = "lambda:UpdateFunctionCode", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item", context = {}, shared = false },
    { type = "aws_lambda_function", action = "iam:PassRole", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = { "iam:PassedToService" = "lambda.amazonaws.com" }, shared = false },
    { type = "aws_lambda_permission", action = "lambda:AddPermission", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item", context = {}, shared = false },
    { type = "aws_lambda_alias", action = "lambda:CreateAlias", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item", context = {}, shared = false },
    { type = "aws_lambda_provisioned_concurrency_config", action = "lambda:PutProvisionedConcurrencyConfig", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item:live", context = {}, shared = false },
    { type = "aws_lambda_function_event_invoke_config", action = "lambda:PutFunctionEventInvokeConfig", resource = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-get-item", context = {}, shared = false },
    { type = "aws_lambda_event_source_mapping", action = "lambda:CreateEventSourceMapping", resource = "*", context = { "lambda:FunctionArn" = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-publish-item-events" }, shared = false },
    { type = "aws_lambda_event_source_mapping", action = "lambda:GetEventSourceMapping", resource = "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = { "lambda:FunctionArn" = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-publish-item-events" }, shared = false },
    { type = "aws_lambda_event_source_mapping", action = "lambda:DeleteEventSourceMapping", resource = "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = { "lambda:FunctionArn" = "arn:aws:lambda:eu-west-1:123456789012:function:STAGE-publish-item-events" }, shared = false },
    { type = "aws_lambda_event_source_mapping", action = "lambda:ListTags", resource = "arn:aws:lambda:eu-west-1:123456789012:event-source-mapping:0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = {}, shared = true },
    # Roles: only with the environment's boundary.
    { type = "aws_iam_role", action = "iam:CreateRole", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = { "iam:PermissionsBoundary" = "BOUNDARY" }, shared = false },
    { type = "aws_iam_role", action = "iam:DeleteRole", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = {}, shared = false },
    { type = "aws_iam_role_policy", action = "iam:PutRolePolicy", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = { "iam:PermissionsBoundary" = "BOUNDARY" }, shared = false },
    { type = "aws_iam_role_policy_attachment", action = "iam:AttachRolePolicy", resource = "arn:aws:iam::123456789012:role/STAGE-apigateway-logging", context = { "iam:PermissionsBoundary" = "BOUNDARY", "iam:PolicyARN" = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs" }, shared = false },
    { type = "aws_iam_role_policy_attachment", action = "iam:PassRole", resource = "arn:aws:iam::123456789012:role/STAGE-apigateway-logging", context = { "iam:PassedToService" = "apigateway.amazonaws.com" }, shared = false },
    # Tables.
    { type = "aws_dynamodb_table", action = "dynamodb:CreateTable", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items", context = {}, shared = false },
    { type = "aws_dynamodb_table", action = "dynamodb:UpdateContinuousBackups", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-idempotency", context = {}, shared = false },
    # Logs.
    { type = "aws_cloudwatch_log_group", action = "logs:CreateLogGroup", resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/STAGE-get-item", context = {}, shared = false },
    { type = "aws_cloudwatch_log_group", action = "logs:PutRetentionPolicy", resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/STAGE-http:*", context = {}, shared = false },
    { type = "aws_cloudwatch_log_group", action = "logs:CreateLogGroup", resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/events/STAGE-item-events", context = {}, shared = false },
    { type = "aws_cloudwatch_log_group", action = "logs:CreateLogGroup", resource = "arn:aws:logs:eu-west-1:123456789012:log-group:API-Gateway-Execution-Logs_a1b2c3d4e5/api", context = {}, shared = true },
    { type = "aws_cloudwatch_log_group", action = "logs:DescribeLogGroups", resource = "*", context = {}, shared = true },
    { type = "aws_cloudwatch_log_resource_policy", action = "logs:PutResourcePolicy", resource = "*", context = {}, shared = true },
    { type = "aws_cloudwatch_log_resource_policy", action = "logs:DescribeResourcePolicies", resource = "*", context = {}, shared = true },
    { type = "aws_cloudwatch_log_resource_policy", action = "logs:DeleteResourcePolicy", resource = "*", context = {}, shared = true },
    # The HTTP API; its stage's access logs are a log delivery.
    { type = "aws_apigatewayv2_api", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apis", context = {}, shared = true },
    { type = "aws_apigatewayv2_api", action = "apigateway:PATCH", resource = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_apigatewayv2_stage", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/stages", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_apigatewayv2_stage", action = "logs:CreateLogDelivery", resource = "*", context = {}, shared = true },
    { type = "aws_apigatewayv2_stage", action = "logs:GetLogDelivery", resource = "*", context = {}, shared = true },
    { type = "aws_apigatewayv2_stage", action = "logs:UpdateLogDelivery", resource = "*", context = {}, shared = true },
    { type = "aws_apigatewayv2_stage", action = "logs:DeleteLogDelivery", resource = "*", context = {}, shared = true },
    { type = "aws_apigatewayv2_stage", action = "logs:ListLogDeliveries", resource = "*", context = {}, shared = true },
    { type = "aws_apigatewayv2_integration", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/integrations", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_apigatewayv2_route", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/routes", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_apigatewayv2_authorizer", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/authorizers", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_apigatewayv2_domain_name", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/domainnames", context = {}, shared = true },
    { type = "aws_apigatewayv2_api_mapping", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/domainnames/api.example.com/apimappings", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    # The REST option.
    { type = "aws_api_gateway_rest_api", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis", context = {}, shared = true },
    { type = "aws_api_gateway_resource", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/resources/abc123", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_method", action = "apigateway:PUT", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/resources/abc123/methods/GET", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_integration", action = "apigateway:PUT", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/resources/abc123/methods/GET/integration", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_authorizer", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/authorizers", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_request_validator", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/requestvalidators", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_model", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/models", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_gateway_response", action = "apigateway:PUT", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/gatewayresponses/BAD_REQUEST_BODY", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_deployment", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/deployments", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_stage", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_method_settings", action = "apigateway:PATCH", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/api", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_usage_plan", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/usageplans", context = {}, shared = true },
    { type = "aws_api_gateway_api_key", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/apikeys", context = {}, shared = true },
    { type = "aws_api_gateway_usage_plan_key", action = "apigateway:POST", resource = "arn:aws:apigateway:eu-west-1::/usageplans/abc123/keys", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_api_gateway_account", action = "apigateway:PATCH", resource = "arn:aws:apigateway:eu-west-1::/account", context = {}, shared = true },
    { type = "aws_wafv2_web_acl_association", action = "wafv2:AssociateWebACL", resource = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/items/00000000-0000-0000-0000-000000000000", context = {}, shared = true },
    { type = "aws_wafv2_web_acl_association", action = "apigateway:SetWebACL", resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/api", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    # Cognito.
    { type = "aws_cognito_user_pool", action = "cognito-idp:CreateUserPool", resource = "*", context = {}, shared = true },
    { type = "aws_cognito_user_pool", action = "cognito-idp:UpdateUserPool", resource = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_a1b2c3d4e", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_cognito_user_pool_client", action = "cognito-idp:CreateUserPoolClient", resource = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_a1b2c3d4e", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_cognito_user_group", action = "cognito-idp:CreateGroup", resource = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_a1b2c3d4e", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    # Change events.
    { type = "aws_cloudwatch_event_bus", action = "events:CreateEventBus", resource = "arn:aws:events:eu-west-1:123456789012:event-bus/STAGE-events", context = {}, shared = false },
    { type = "aws_cloudwatch_event_archive", action = "events:CreateArchive", resource = "arn:aws:events:eu-west-1:123456789012:archive/STAGE-events", context = {}, shared = false },
    { type = "aws_cloudwatch_event_archive", action = "events:CreateArchive", resource = "arn:aws:events:eu-west-1:123456789012:event-bus/STAGE-events", context = {}, shared = false },
    { type = "aws_cloudwatch_event_rule", action = "events:PutRule", resource = "arn:aws:events:eu-west-1:123456789012:rule/STAGE-events/STAGE-all-item-events", context = {}, shared = false },
    { type = "aws_cloudwatch_event_rule", action = "events:PutRule", resource = "arn:aws:events:eu-west-1:123456789012:rule/STAGE-warmup-get-item", context = {}, shared = false },
    { type = "aws_cloudwatch_event_target", action = "events:PutTargets", resource = "arn:aws:events:eu-west-1:123456789012:rule/STAGE-events/STAGE-all-item-events", context = {}, shared = false },
    { type = "aws_sqs_queue", action = "sqs:CreateQueue", resource = "arn:aws:sqs:eu-west-1:123456789012:STAGE-publish-item-events-failures", context = {}, shared = false },
    { type = "aws_sqs_queue", action = "sqs:GetQueueAttributes", resource = "arn:aws:sqs:eu-west-1:123456789012:STAGE-publish-item-events-failures", context = {}, shared = false },
    { type = "aws_sqs_queue", action = "sqs:ListQueueTags", resource = "arn:aws:sqs:eu-west-1:123456789012:STAGE-publish-item-events-failures", context = {}, shared = false },
    # Alarms and the dashboard.
    { type = "aws_cloudwatch_metric_alarm", action = "cloudwatch:PutMetricAlarm", resource = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:STAGE-get-item-errors", context = {}, shared = false },
    { type = "aws_cloudwatch_dashboard", action = "cloudwatch:PutDashboard", resource = "arn:aws:cloudwatch::123456789012:dashboard/STAGE", context = {}, shared = false },
    { type = "aws_sns_topic", action = "sns:CreateTopic", resource = "arn:aws:sns:eu-west-1:123456789012:STAGE-alarms", context = {}, shared = false },
    { type = "aws_sns_topic_subscription", action = "sns:Subscribe", resource = "arn:aws:sns:eu-west-1:123456789012:STAGE-alarms", context = {}, shared = false },
    # The custom domain option.
    { type = "aws_acm_certificate", action = "acm:RequestCertificate", resource = "*", context = {}, shared = true },
    { type = "aws_acm_certificate", action = "acm:DescribeCertificate", resource = "arn:aws:acm:eu-west-1:123456789012:certificate/0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_acm_certificate_validation", action = "acm:DescribeCertificate", resource = "arn:aws:acm:eu-west-1:123456789012:certificate/0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_route53_record", action = "route53:ChangeResourceRecordSets", resource = "arn:aws:route53:::hostedzone/Z0000000000000000000", context = {}, shared = true },
    { type = "aws_route53_record", action = "route53:GetChange", resource = "arn:aws:route53:::change/C0000000000000000000", context = {}, shared = true },
    # The CloudFront option; the AWS-owned Managed-* policies are looked up by name.
    { type = "aws_cloudfront_distribution", action = "cloudfront:CreateDistribution", resource = "arn:aws:cloudfront::123456789012:distribution/E000000000000", context = {}, shared = true },
    { type = "aws_cloudfront_distribution", action = "cloudfront:UpdateDistribution", resource = "arn:aws:cloudfront::123456789012:distribution/E000000000000", context = { "aws:ResourceTag/application" = "STAGE" }, shared = false },
    { type = "aws_cloudfront_cache_policy", action = "cloudfront:CreateCachePolicy", resource = "arn:aws:cloudfront::123456789012:cache-policy/0f5e8a4c-1b2d-4c3e-9f00-000000000000", context = {}, shared = true },
    { type = "aws_cloudfront_cache_policy", action = "cloudfront:ListCachePolicies", resource = "*", context = {}, shared = true },
    { type = "aws_cloudfront_cache_policy", action = "cloudfront:GetCachePolicy", resource = "arn:aws:cloudfront::aws:cache-policy/4135ea2d-6df8-44a3-9df3-4b5a84be39ad", context = {}, shared = true },
    { type = "aws_cloudfront_origin_request_policy", action = "cloudfront:ListOriginRequestPolicies", resource = "*", context = {}, shared = true },
    { type = "aws_cloudfront_origin_request_policy", action = "cloudfront:GetOriginRequestPolicy", resource = "arn:aws:cloudfront::aws:origin-request-policy/b689b0a8-53d0-40ab-baf2-68738e2966ac", context = {}, shared = true },
    { type = "aws_cloudfront_response_headers_policy", action = "cloudfront:ListResponseHeadersPolicies", resource = "*", context = {}, shared = true },
    { type = "aws_cloudfront_response_headers_policy", action = "cloudfront:GetResponseHeadersPolicy", resource = "arn:aws:cloudfront::aws:response-headers-policy/67f7725c-6f97-4210-82d7-5512b31e9d03", context = {}, shared = true },
  ]

  # Calls no deploy role may make, even on its own stage: a role without the environment's
  # boundary, or with another policy as its boundary, and a boundary removed.
  never = [
    { action = "iam:CreateRole", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = {}, shared = false, never = true },
    { action = "iam:PutRolePolicy", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = { "iam:PermissionsBoundary" = "arn:aws:iam::aws:policy/AdministratorAccess" }, shared = false, never = true },
    { action = "iam:AttachRolePolicy", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = { "iam:PermissionsBoundary" = "BOUNDARY", "iam:PolicyARN" = "arn:aws:iam::aws:policy/AdministratorAccess" }, shared = false, never = true },
    { action = "iam:DeleteRolePermissionsBoundary", resource = "arn:aws:iam::123456789012:role/STAGE-get-item", context = {}, shared = false, never = true },
    { action = "iam:PutRolePolicy", resource = "arn:aws:iam::123456789012:role/items-api-deploy-production", context = { "iam:PermissionsBoundary" = "BOUNDARY" }, shared = false, never = true },
    { action = "iam:CreatePolicyVersion", resource = "arn:aws:iam::123456789012:policy/items-api-boundary-production", context = {}, shared = false, never = true },
  ]

  # What the stage's roles do (functions.tf, events.tf, rest_api.tf): each must pass the
  # environment's boundary for its own stage, and none for another environment's.
  role_needs = [
    { action = "dynamodb:GetItem", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items" },
    { action = "dynamodb:Query", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items/index/by-category" },
    { action = "dynamodb:Scan", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items" },
    { action = "dynamodb:PutItem", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-idempotency" },
    { action = "dynamodb:UpdateItem", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items" },
    { action = "dynamodb:DeleteItem", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items" },
    { action = "dynamodb:GetRecords", resource = "arn:aws:dynamodb:eu-west-1:123456789012:table/STAGE-items/stream/2026-01-01T00:00:00.000" },
    { action = "sqs:SendMessage", resource = "arn:aws:sqs:eu-west-1:123456789012:STAGE-publish-item-events-failures" },
    { action = "events:PutEvents", resource = "arn:aws:events:eu-west-1:123456789012:event-bus/STAGE-events" },
    { action = "logs:PutLogEvents", resource = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/STAGE-get-item:log-stream:2026/01/01/abc" },
  ]

  # Who may do what: each environment its own stages, none another's.
  cases = [
    { environment = "staging", stage = "items-api-staging", suffix = "staging", own = true },
    { environment = "production", stage = "items-api-production", suffix = "production", own = true },
    { environment = "preview", stage = "items-api-pr-12", suffix = "pr-12", own = true },
    { environment = "preview", stage = "items-api-production", suffix = "production", own = false },
    { environment = "preview", stage = "items-api-staging", suffix = "staging", own = false },
    { environment = "staging", stage = "items-api-production", suffix = "production", own = false },
    { environment = "staging", stage = "items-api-pr-12", suffix = "pr-12", own = false },
    { environment = "production", stage = "items-api-staging", suffix = "staging", own = false },
  ]
}

run "each_environment_deploys_its_own_stages_only" {
  command = apply

  # Every (case, need) whose outcome is wrong: allowed and not denied, against what the case
  # expects (its own stage: every need but var.never; another's: none but the shared ones).
  assert {
    condition = length(flatten([
      for case in var.cases : [
        for need in concat(var.needs, var.never) : "${case.environment} on ${case.stage}: ${need.action} ${need.resource}"
        if(case.own || !need.shared) && (case.own && !try(need.never, false)) != (
          anytrue([
            for statement in data.aws_iam_policy_document.deploy[case.environment].statement :
            statement.effect != "Deny" &&
            anytrue([for action in statement.actions : can(regex("^${replace(replace(action, ".", "\\."), "*", ".*")}$", need.action))]) &&
            anytrue([for resource in statement.resources : can(regex("^${replace(replace(resource, ".", "\\."), "*", ".*")}$", replace(replace(need.resource, "STAGE", case.stage), "SUFFIX", case.suffix)))]) &&
            alltrue([
              for condition in statement.condition : anytrue([
                for value in condition.values :
                contains(keys(need.context), condition.variable) && can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage), "BOUNDARY", aws_iam_policy.stage_boundary[case.environment].arn)))
              ])
            ])
          ]) &&
          !anytrue([
            for statement in data.aws_iam_policy_document.deploy[case.environment].statement :
            statement.effect == "Deny" &&
            anytrue([for action in statement.actions : can(regex("^${replace(replace(action, ".", "\\."), "*", ".*")}$", need.action))]) &&
            anytrue([for resource in statement.resources : can(regex("^${replace(replace(resource, ".", "\\."), "*", ".*")}$", replace(replace(need.resource, "STAGE", case.stage), "SUFFIX", case.suffix)))]) &&
            alltrue([
              for condition in statement.condition :
              condition.test == "Null" ? contains(condition.values, tostring(!contains(keys(need.context), condition.variable))) :
              condition.test == "StringNotLike" ? !anytrue([
                for value in condition.values :
                can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage)))
              ]) :
              anytrue([
                for value in condition.values :
                contains(keys(need.context), condition.variable) && can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage)))
              ])
            ])
          ])
        )
      ]
    ])) == 0
    error_message = "Wrong for these (environment, action, resource; see var.needs, var.never and infra/bootstrap/policy.tf): ${jsonencode(flatten([
      for case in var.cases : [
        for need in concat(var.needs, var.never) : "${case.environment} on ${case.stage}: ${need.action} ${need.resource}"
        if(case.own || !need.shared) && (case.own && !try(need.never, false)) != (
          anytrue([
            for statement in data.aws_iam_policy_document.deploy[case.environment].statement :
            statement.effect != "Deny" &&
            anytrue([for action in statement.actions : can(regex("^${replace(replace(action, ".", "\\."), "*", ".*")}$", need.action))]) &&
            anytrue([for resource in statement.resources : can(regex("^${replace(replace(resource, ".", "\\."), "*", ".*")}$", replace(replace(need.resource, "STAGE", case.stage), "SUFFIX", case.suffix)))]) &&
            alltrue([
              for condition in statement.condition : anytrue([
                for value in condition.values :
                contains(keys(need.context), condition.variable) && can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage), "BOUNDARY", aws_iam_policy.stage_boundary[case.environment].arn)))
              ])
            ])
          ]) &&
          !anytrue([
            for statement in data.aws_iam_policy_document.deploy[case.environment].statement :
            statement.effect == "Deny" &&
            anytrue([for action in statement.actions : can(regex("^${replace(replace(action, ".", "\\."), "*", ".*")}$", need.action))]) &&
            anytrue([for resource in statement.resources : can(regex("^${replace(replace(resource, ".", "\\."), "*", ".*")}$", replace(replace(need.resource, "STAGE", case.stage), "SUFFIX", case.suffix)))]) &&
            alltrue([
              for condition in statement.condition :
              condition.test == "Null" ? contains(condition.values, tostring(!contains(keys(need.context), condition.variable))) :
              condition.test == "StringNotLike" ? !anytrue([
                for value in condition.values :
                can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage)))
              ]) :
              anytrue([
                for value in condition.values :
                contains(keys(need.context), condition.variable) && can(regex("^${replace(replace(value, ".", "\\."), "*", ".*")}$", replace(lookup(need.context, condition.variable, ""), "STAGE", case.stage)))
              ])
            ])
          ])
        )
      ]
    ]))}"
  }
}

run "each_boundary_allows_its_own_stage_only" {
  command = apply

  assert {
    condition = length(flatten([
      for case in var.cases : [
        for need in var.role_needs : "${case.environment} on ${case.stage}: ${need.action} ${need.resource}"
        if case.own != anytrue([
          for statement in data.aws_iam_policy_document.stage_boundary[case.environment].statement :
          anytrue([for action in statement.actions : can(regex("^${replace(replace(action, ".", "\\."), "*", ".*")}$", need.action))]) &&
          anytrue([for resource in statement.resources : can(regex("^${replace(replace(resource, ".", "\\."), "*", ".*")}$", replace(need.resource, "STAGE", case.stage)))])
        ])
      ]
    ])) == 0
    error_message = "A boundary refuses a call its stage's roles make, or allows one on another environment's stage; compare var.role_needs with infra/bootstrap/policy.tf."
  }
}
