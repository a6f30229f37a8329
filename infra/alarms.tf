# Option: CloudWatch alarms to an SNS topic (var.alarms_enabled, off by default): the API's 5xx
# rate; each function's errors, throttles and p99 duration; each table's throttled requests. The
# topic is created here, or is one a team already subscribes to (var.alarm_topic_arn).

locals {
  alarm_functions = var.alarms_enabled ? local.routes : {}
  alarm_tables = var.alarms_enabled ? {
    items       = aws_dynamodb_table.items.name
    idempotency = aws_dynamodb_table.idempotency.name
  } : {}
  alarm_topic_arns = var.alarms_enabled ? [coalesce(var.alarm_topic_arn, one(aws_sns_topic.alarms[*].arn))] : []
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:CloudWatch cannot publish to a topic encrypted with the AWS managed aws/sns key, and alarm notifications carry only alarm names and states.
  count = var.alarms_enabled && var.alarm_topic_arn == null ? 1 : 0

  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarms_enabled && var.alarm_email != null ? 1 : 0

  topic_arn = local.alarm_topic_arns[0]
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-http-5xx-rate"
  alarm_description   = "More than ${var.alarm_5xx_rate_threshold * 100}% of the HTTP API's requests answered 5xx over 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_5xx_rate_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, errors / requests, 0)"
    label       = "5xx rate"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      period      = 300
      stat        = "Sum"
      dimensions = {
        ApiId = aws_apigatewayv2_api.http.id
        Stage = aws_apigatewayv2_stage.default.name
      }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      period      = 300
      stat        = "Sum"
      dimensions = {
        ApiId = aws_apigatewayv2_api.http.id
        Stage = aws_apigatewayv2_stage.default.name
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "rest_5xx_rate" {
  count = var.alarms_enabled && var.rest_api_enabled ? 1 : 0

  alarm_name          = "${var.name}-rest-5xx-rate"
  alarm_description   = "More than ${var.alarm_5xx_rate_threshold * 100}% of the REST API's requests answered 5xx over 5 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  statistic           = "Average"
  period              = 300
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_5xx_rate_threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  dimensions = {
    ApiName = aws_api_gateway_rest_api.rest[0].name
    Stage   = aws_api_gateway_stage.rest[0].stage_name
  }
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.alarm_functions

  alarm_name          = "${var.name}-${each.key}-errors"
  alarm_description   = "${each.value.route_key}: the function failed (crash, timeout or init error) in the last 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 300
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  dimensions = {
    FunctionName = aws_lambda_function.function[each.key].function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each = local.alarm_functions

  alarm_name          = "${var.name}-${each.key}-throttles"
  alarm_description   = "${each.value.route_key}: invocations were throttled (concurrency exhausted) in the last 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  statistic           = "Sum"
  period              = 300
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  dimensions = {
    FunctionName = aws_lambda_function.function[each.key].function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "function_duration" {
  for_each = local.alarm_functions

  alarm_name          = "${var.name}-${each.key}-duration-p99"
  alarm_description   = "${each.value.route_key}: the function's p99 duration stayed above ${var.alarm_p99_duration_ms} ms for 15 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  extended_statistic  = "p99"
  period              = 300
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_p99_duration_ms
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  dimensions = {
    FunctionName = aws_lambda_function.function[each.key].function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each = local.alarm_tables

  alarm_name          = "${var.name}-${each.key}-table-throttles"
  alarm_description   = "The ${each.value} table throttled requests in the last 5 minutes (the functions retried them, then answered 503)."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  # Read and write throttle events of the table itself (its index reports its own, which a
  # throttled index query also counts on the table's ThrottledRequests on the dashboard).
  metric_query {
    id          = "throttled"
    expression  = "reads + writes"
    label       = "Throttle events"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" }

    content {
      id = metric_query.key

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value
        period      = 300
        stat        = "Sum"
        dimensions = {
          TableName = each.value
        }
      }
    }
  }
}
