# Every function: one per route and one per stream consumer, all built from one definition
# (local.functions). Each has its own log group and its own role, whose policy allows exactly
# the statements its entry lists (for a route, the DynamoDB actions routes.json grants it, on
# exactly the table or index it names), plus writing its own logs and traces.

locals {
  # The route functions: one per routes.json route, keyed by function name like local.routes.
  route_functions = {
    for function, route in local.routes : function => {
      description      = route.route_key
      role_description = "The ${route.route_key} function: its own table actions, logs and traces only."
      memory_mb        = route.memory_mb
      timeout_seconds  = var.lambda_timeout_seconds
      environment      = local.function_environment
      # One statement per table or index, named after it (ItemsTable, CategoryIndex...).
      statements = [
        for resource, actions in route.dynamodb : {
          sid       = replace(title(replace(resource, "_", " ")), " ", "")
          actions   = actions
          resources = [local.dynamodb_resource_arns[resource]]
        }
      ]
    }
  }

  # Every function deployed, keyed by function name: the routes' and the stream consumers'
  # (local.stream_function_definitions in events.tf).
  functions = merge(local.route_functions, local.stream_function_definitions)
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; the functions never log tokens or bodies, so a customer managed key would add cost and a key policy, not protection.
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days); 30 days by default keeps the cost of a test stage low.
  for_each = local.functions

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name                 = "${var.name}-${each.key}"
  description          = each.value.role_description
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume_role.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  # Exactly what this function's entry grants it.
  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  # Active tracing: X-Ray has no resource-level permissions for these two actions.
  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

resource "aws_lambda_function" "function" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes the route functions synchronously, so a dead-letter queue never sees a request; the optional warm-up rule invokes asynchronously, but its events carry no data and are not retried (warmup.tf): a lost one is only a missed ping. The stream functions are invoked by an event source mapping, whose on-failure destination (events.tf) is their dead-letter path; a function DLQ only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The functions reach only DynamoDB, EventBridge, CloudWatch Logs and X-Ray, public AWS endpoints; a VPC would add NAT or endpoints and cold-start latency for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds table and bus names, the admin group name, a log filter and the listing cursors' integrity key (main.tf: it can only start a listing the caller may read anyway), no credentials; Lambda encrypts it at rest with the AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and a signed artifact in S3; the zips are built and deployed from this repository by the same pipeline.
  #checkov:skip=CKV_AWS_115:Reserved concurrency would take capacity from a new account's small regional pool (as low as 10); the stage's throttling bounds the route functions' concurrency, and a stream function runs one invocation per shard (parallelization factor 1).
  for_each = local.functions

  function_name    = "${var.name}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = local.function_zips[each.key]
  source_code_hash = filebase64sha256(local.function_zips[each.key])
  memory_size      = coalesce(var.lambda_memory_mb, each.value.memory_mb)
  timeout          = each.value.timeout_seconds
  # A version only where provisioned concurrency needs one for its alias.
  publish = contains(keys(local.provisioned_functions), each.key)

  environment {
    variables = each.value.environment
  }

  # Lambda drops JSON lines below application_log_level before they are stored: it follows
  # RUST_LOG's most verbose level, so the lines the function writes are the lines kept.
  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = local.lambda_application_log_level
    system_log_level      = "INFO"
  }

  tracing_config {
    mode = "Active"
  }

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = alltrue([for function in keys(var.provisioned_concurrency) : contains(keys(local.routes), function)])
      error_message = "provisioned_concurrency names a function that is not in routes.json."
    }
  }
}
