# One function per route, each with its own log group and its own role allowing exactly the
# DynamoDB actions routes.json lists for it, on exactly the table or index it names.

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; the functions never log tokens or bodies, so a customer managed key would add cost and a key policy, not protection.
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days); 30 days by default keeps the cost of a test stage low.
  for_each = local.routes

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
  for_each = local.routes

  name               = "${var.name}-${each.key}"
  description        = "The ${each.value.route_key} function: its own table actions, logs and traces only."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
}

data "aws_iam_policy_document" "function" {
  for_each = local.routes

  # Exactly what routes.json grants this function: one statement per table or index.
  dynamic "statement" {
    for_each = each.value.dynamodb

    content {
      sid       = replace(title(replace(statement.key, "_", " ")), " ", "")
      actions   = statement.value
      resources = [local.dynamodb_resource_arns[statement.key]]
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
  for_each = local.routes

  name   = "least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

resource "aws_lambda_function" "function" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes the functions synchronously, so a dead-letter queue never sees a request. The optional warm-up rule invokes asynchronously, but its events carry no data and are not retried (warmup.tf): a lost one is only a missed ping.
  #checkov:skip=CKV_AWS_117:The functions reach only DynamoDB, CloudWatch Logs and X-Ray, public AWS endpoints; a VPC would add NAT or endpoints and cold-start latency for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds table names, the admin group name and a log filter, no secrets; Lambda encrypts it at rest with the AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and a signed artifact in S3; the zips are built and deployed from this repository by the same pipeline.
  #checkov:skip=CKV_AWS_115:Reserved concurrency would take capacity from a new account's small regional pool (as low as 10); the stage's throttling bounds concurrency instead.
  for_each = local.routes

  function_name    = "${var.name}-${each.key}"
  description      = each.value.route_key
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = local.function_zips[each.key]
  source_code_hash = filebase64sha256(local.function_zips[each.key])
  memory_size      = coalesce(var.lambda_memory_mb, each.value.memory_mb)
  timeout          = var.lambda_timeout_seconds
  # A version only where provisioned concurrency needs one for its alias.
  publish = contains(keys(local.provisioned_functions), each.key)

  environment {
    variables = local.function_environment
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
