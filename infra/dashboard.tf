# A CloudWatch dashboard to run the API by (var.dashboard_enabled, on by default): one row per
# route of routes.json with its requests by status class, latency (API Gateway and the
# function's p50/p99 Duration), the function's invocations, errors, throttles and cold starts
# (the ColdStart metric the functions write in Embedded Metric Format), and the DynamoDB
# operations it sends (p99 latency, throttled requests). With the REST option, its per-method
# metrics join each row; with alarms, their states head the dashboard.

locals {
  # The EMF namespace of adapters/apigateway/src/metrics.rs.
  metrics_namespace = "ItemsApi"

  # routes.json's resource names, as the table each one's operations are counted on.
  dynamodb_table_of_resource = {
    items_table       = aws_dynamodb_table.items.name
    category_index    = aws_dynamodb_table.items.name
    idempotency_table = aws_dynamodb_table.idempotency.name
  }

  # Per route, the table operations it sends: "dynamodb:GetItem" on items_table is GetItem on
  # the items table.
  route_dynamodb_operations = {
    for function, route in local.routes : function => distinct(flatten([
      for resource, actions in route.dynamodb : [
        for action in actions : { table = local.dynamodb_table_of_resource[resource], operation = trimprefix(action, "dynamodb:") }
      ]
    ]))
  }

  dashboard_period = 60

  dashboard_route_rows = [
    for function, route in local.routes : [
      {
        type   = "text"
        width  = 24
        height = 1
        properties = {
          markdown = "### ${route.route_key} (function `${var.name}-${function}`)"
        }
      },
      {
        type   = "metric"
        width  = 6
        height = 6
        properties = {
          title   = "Requests by status class"
          region  = var.region
          view    = "timeSeries"
          stacked = false
          period  = local.dashboard_period
          stat    = "Sum"
          metrics = concat(
            [
              ["AWS/ApiGateway", "Count", "ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name, "Method", route.method, "Resource", route.path, { label = "HTTP API requests" }],
              ["AWS/ApiGateway", "4xx", "ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name, "Method", route.method, "Resource", route.path, { label = "HTTP API 4xx" }],
              ["AWS/ApiGateway", "5xx", "ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name, "Method", route.method, "Resource", route.path, { label = "HTTP API 5xx" }],
            ],
            var.rest_api_enabled ? [
              ["AWS/ApiGateway", "Count", "ApiName", one(aws_api_gateway_rest_api.rest[*].name), "Stage", one(aws_api_gateway_stage.rest[*].stage_name), "Method", route.method, "Resource", route.path, { label = "REST requests" }],
              ["AWS/ApiGateway", "4XXError", "ApiName", one(aws_api_gateway_rest_api.rest[*].name), "Stage", one(aws_api_gateway_stage.rest[*].stage_name), "Method", route.method, "Resource", route.path, { label = "REST 4xx" }],
              ["AWS/ApiGateway", "5XXError", "ApiName", one(aws_api_gateway_rest_api.rest[*].name), "Stage", one(aws_api_gateway_stage.rest[*].stage_name), "Method", route.method, "Resource", route.path, { label = "REST 5xx" }],
            ] : [],
          )
        }
      },
      {
        type   = "metric"
        width  = 6
        height = 6
        properties = {
          title  = "Latency (ms)"
          region = var.region
          view   = "timeSeries"
          period = local.dashboard_period
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiId", aws_apigatewayv2_api.http.id, "Stage", aws_apigatewayv2_stage.default.name, "Method", route.method, "Resource", route.path, { stat = "p99", label = "API p99" }],
            ["AWS/Lambda", "Duration", "FunctionName", "${var.name}-${function}", { stat = "p50", label = "Duration p50" }],
            ["AWS/Lambda", "Duration", "FunctionName", "${var.name}-${function}", { stat = "p99", label = "Duration p99" }],
          ]
        }
      },
      {
        type   = "metric"
        width  = 6
        height = 6
        properties = {
          title  = "Function"
          region = var.region
          view   = "timeSeries"
          period = local.dashboard_period
          stat   = "Sum"
          metrics = [
            ["AWS/Lambda", "Invocations", "FunctionName", "${var.name}-${function}", { label = "Invocations" }],
            ["AWS/Lambda", "Errors", "FunctionName", "${var.name}-${function}", { label = "Errors" }],
            ["AWS/Lambda", "Throttles", "FunctionName", "${var.name}-${function}", { label = "Throttles" }],
            [local.metrics_namespace, "ColdStart", "FunctionName", "${var.name}-${function}", { label = "Cold starts" }],
          ]
        }
      },
      {
        type   = "metric"
        width  = 6
        height = 6
        properties = {
          title  = "DynamoDB"
          region = var.region
          view   = "timeSeries"
          period = local.dashboard_period
          metrics = concat(
            [
              for sent in local.route_dynamodb_operations[function] :
              ["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", sent.table, "Operation", sent.operation, { stat = "p99", label = "${sent.operation} p99 ms (${sent.table})" }]
            ],
            [
              for sent in local.route_dynamodb_operations[function] :
              ["AWS/DynamoDB", "ThrottledRequests", "TableName", sent.table, "Operation", sent.operation, { stat = "Sum", label = "${sent.operation} throttled (${sent.table})", yAxis = "right" }]
            ],
          )
        }
      },
    ]
  ]

  dashboard_alarm_row = var.alarms_enabled ? [
    {
      type   = "alarm"
      width  = 24
      height = 3
      properties = {
        title = "Alarms"
        alarms = flatten([
          for group in local.dashboard_alarm_groups : [for key in keys(group) : aws_cloudwatch_metric_alarm.alarm[key].arn]
        ])
      }
    },
  ] : []
}

resource "aws_cloudwatch_dashboard" "api" {
  count = var.dashboard_enabled ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat(local.dashboard_alarm_row, flatten(local.dashboard_route_rows))
  })
}
