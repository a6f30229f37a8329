# Option: CloudWatch alarms to an SNS topic (var.alarms_enabled, off by default): the API's 5xx
# rate; each route function's errors, throttles and p99 duration; each stream function's errors
# and iterator age; each table's throttled requests. The
# topic is created here, or is one a team already subscribes to (var.alarm_topic_arn). A stream
# function's failed batches alarm whether or not the option is on (a failed batch is a change no
# consumer saw), notifying the topic when it is.
#
# Every alarm is one entry of local.alarms, keyed by its name after "${var.name}-", and one
# resource deploys them all. An entry watches one metric (`metric`), or an expression over
# several (`query`); the other is null.

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

locals {
  # A metric that alarms on any count in one 5-minute period (errors, throttles).
  any_in_five_minutes = {
    statistic           = "Sum"
    extended_statistic  = null
    comparison_operator = "GreaterThanOrEqualToThreshold"
    threshold           = 1
    evaluation_periods  = 1
    datapoints_to_alarm = null
  }

  # The alarms of each route function, one entry per metric.
  function_alarm_metrics = [
    merge(local.any_in_five_minutes, {
      suffix      = "errors"
      metric_name = "Errors"
      condition   = "the function failed (crash, timeout or init error) in the last 5 minutes."
    }),
    merge(local.any_in_five_minutes, {
      suffix      = "throttles"
      metric_name = "Throttles"
      condition   = "invocations were throttled (concurrency exhausted) in the last 5 minutes."
    }),
    {
      suffix              = "duration-p99"
      metric_name         = "Duration"
      statistic           = null
      extended_statistic  = "p99"
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.alarm_p99_duration_ms
      evaluation_periods  = 3
      datapoints_to_alarm = 3
      condition           = "the function's p99 duration stayed above ${var.alarm_p99_duration_ms} ms for 15 minutes."
    },
  ]

  # The alarms of each stream function, in the same shape.
  stream_alarm_metrics = [
    merge(local.any_in_five_minutes, {
      suffix      = "errors"
      metric_name = "Errors"
      condition   = "the stream function failed (crash, timeout or init error) in the last 5 minutes; its batch is retried."
    }),
    {
      suffix              = "iterator-age"
      metric_name         = "IteratorAge"
      statistic           = "Maximum"
      extended_statistic  = null
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.alarm_stream_iterator_age_seconds * 1000
      evaluation_periods  = 1
      datapoints_to_alarm = null
      condition           = "the oldest unprocessed stream record was older than ${var.alarm_stream_iterator_age_seconds} s; change events are that late."
    },
  ]

  # Which functions get which of those alarms, each function named in its alarms' descriptions.
  lambda_alarm_sets = [
    {
      functions = { for function, route in local.alarm_functions : function => route.route_key }
      metrics   = local.function_alarm_metrics
    },
    {
      functions = { for function in(var.alarms_enabled ? keys(local.stream_functions) : []) : function => function }
      metrics   = local.stream_alarm_metrics
    },
  ]

  # The HTTP API's 5xx rate: its 5xx answers over its requests, per 5 minutes.
  http_5xx_metric = {
    for id, metric_name in { errors = "5xx", requests = "Count" } : id => {
      namespace                     = "AWS/ApiGateway"
      metric_name                   = metric_name
      period                        = 300
      stat                          = "Sum"
      dimensions = {
        ApiId = aws_apigatewayv2_api.http.id
        Stage = aws_apigatewayv2_stage.default.name
      }
    }
  }

  # The alarms the dashboard shows, in its order: the APIs', each function metric's, the tables'.
  dashboard_alarm_groups = concat(
    [
      merge(
        var.alarms_enabled ? {
          "http-5xx-rate" = {
            description         = "More than ${var.alarm_5xx_rate_threshold * 100}% of the HTTP API's requests answered 5xx over 5 minutes."
            comparison_operator = "GreaterThanThreshold"
            threshold           = var.alarm_5xx_rate_threshold
            evaluation_periods  = 1
            datapoints_to_alarm = null
            metric              = null
            query = {
              id         = "rate"
              expression = "IF(requests > 0, errors / requests, 0)"
              label      = "5xx rate"
              metrics    = local.http_5xx_metric
            }
          }
        } : {},
        var.alarms_enabled && var.rest_api_enabled ? {
          "rest-5xx-rate" = {
            description         = "More than ${var.alarm_5xx_rate_threshold * 100}% of the REST API's requests answered 5xx over 5 minutes."
            comparison_operator = "GreaterThanThreshold"
            threshold           = var.alarm_5xx_rate_threshold
            evaluation_periods  = 1
            datapoints_to_alarm = null
            metric = {
              namespace          = "AWS/ApiGateway"
              metric_name        = "5XXError"
              statistic          = "Average"
              extended_statistic = null
              period             = 300
              dimensions = {
                ApiName = aws_api_gateway_rest_api.rest[0].name
                Stage   = aws_api_gateway_stage.rest[0].stage_name
              }
            }
            query = null
          }
        } : {},
      ),
    ],
    # Each function metric's, the routes' (named by route key), then the stream functions'.
    flatten([
      for set in local.lambda_alarm_sets : [
        for metric in set.metrics : {
          for function, label in set.functions : "${function}-${metric.suffix}" => {
            description         = "${label}: ${metric.condition}"
            comparison_operator = metric.comparison_operator
            threshold           = metric.threshold
            evaluation_periods  = metric.evaluation_periods
            datapoints_to_alarm = metric.datapoints_to_alarm
            metric = {
              namespace          = "AWS/Lambda"
              metric_name        = metric.metric_name
              statistic          = metric.statistic
              extended_statistic = metric.extended_statistic
              period             = 300
              dimensions = {
                FunctionName = aws_lambda_function.function[function].function_name
              }
            }
            query = null
          }
        }
      ]
    ]),
    [
      {
        for table_key, table in local.alarm_tables : "${table_key}-table-throttles" => {
          description         = "The ${table} table throttled requests in the last 5 minutes (the functions retried them, then answered 503)."
          comparison_operator = "GreaterThanOrEqualToThreshold"
          threshold           = 1
          evaluation_periods  = 1
          datapoints_to_alarm = null
          metric              = null
          # Read and write throttle events of the table itself (its index reports its own, which
          # a throttled index query also counts on the table's ThrottledRequests on the dashboard).
          query = {
            id         = "throttled"
            expression = "reads + writes"
            label      = "Throttle events"
            metrics = {
              for id, metric_name in { reads = "ReadThrottleEvents", writes = "WriteThrottleEvents" } : id => {
                namespace                    = "AWS/DynamoDB"
                metric_name                  = metric_name
                period                       = 300
                stat                         = "Sum"
                dimensions = {
                  TableName = table
                }
              }
            }
          }
        }
      },
    ],
  )

  alarms = merge(concat(local.dashboard_alarm_groups, [
    # A failed batch is a change no consumer saw: always alarm.
    {
      for function in keys(local.stream_functions) : "${function}-failed-batches" => {
        description         = "${function}: stream records went to the on-failure queue after their retries; their events were not published."
        comparison_operator = "GreaterThanOrEqualToThreshold"
        threshold           = 1
        evaluation_periods  = 1
        datapoints_to_alarm = null
        metric = {
          namespace          = "AWS/SQS"
          metric_name        = "ApproximateNumberOfMessagesVisible"
          statistic          = "Maximum"
          extended_statistic = null
          period             = 300
          dimensions = {
            QueueName = aws_sqs_queue.stream_failures[function].name
          }
        }
        query = null
      }
    },
  ])...)
}

resource "aws_cloudwatch_metric_alarm" "alarm" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topic_arns
  ok_actions          = local.alarm_topic_arns

  # One metric,
  namespace          = try(each.value.metric.namespace, null)
  metric_name        = try(each.value.metric.metric_name, null)
  statistic          = try(each.value.metric.statistic, null)
  extended_statistic = try(each.value.metric.extended_statistic, null)
  period             = try(each.value.metric.period, null)
  dimensions         = try(each.value.metric.dimensions, null)

  # or an expression (the alarm's value) over named metrics.
  dynamic "metric_query" {
    for_each = each.value.query == null ? [] : [each.value.query]

    content {
      id          = metric_query.value.id
      expression  = metric_query.value.expression
      label       = metric_query.value.label
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = each.value.query == null ? {} : each.value.query.metrics

    content {
      id = metric_query.key

      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric_name
        period      = metric_query.value.period
        stat        = metric_query.value.stat
        dimensions  = metric_query.value.dimensions
      }
    }
  }
}
