# The configuration applied against a mock AWS provider (nothing leaves the machine), and the
# resulting plan checked against routes.json. scripts/check-infra runs this file twice: with the
# default variables, and with every option on (-var-file=tests/all-options.tfvars). Each option's
# assertions therefore say "the resources match the variables": none when off, the right ones on.
#
# `command = apply` on the mock provider gives every computed attribute a distinct mock value,
# so comparing two references (a route's integration and a function's invoke ARN) tells
# instances apart; a plan would leave them unknown.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # What routes.json says, read here independently of the configuration under test.
  routes_json  = jsondecode(file("../routes.json")).routes
  streams_json = jsondecode(file("../routes.json")).streams
}

run "plan_matches_routes_json" {
  command = apply

  # Functions.

  assert {
    condition     = toset(keys(aws_lambda_function.function)) == toset(concat([for route in var.routes_json : route.function], [for stream in var.streams_json : stream.function]))
    error_message = "The functions are not exactly those of routes.json's routes and streams: ${jsonencode(keys(aws_lambda_function.function))}."
  }

  assert {
    condition = alltrue([
      for route in var.routes_json :
      aws_lambda_function.function[route.function].memory_size == coalesce(var.lambda_memory_mb, route.memory_size_mb)
    ])
    error_message = "A function's memory is not its routes.json size (or the lambda_memory_mb override)."
  }

  assert {
    condition = alltrue([
      for route in var.routes_json :
      {
        for statement in data.aws_iam_policy_document.function[route.function].statement :
        one(statement.resources) => sort(statement.actions)
        if anytrue([for action in statement.actions : startswith(action, "dynamodb:")])
      }
      == {
        for table, actions in route.dynamodb :
        lookup({
          items_table       = aws_dynamodb_table.items.arn
          category_index    = "${aws_dynamodb_table.items.arn}/index/${one(aws_dynamodb_table.items.global_secondary_index[*].name)}"
          idempotency_table = aws_dynamodb_table.idempotency.arn
        }, table, "a resource this test does not know: ${table}") => sort(actions)
      }
    ])
    error_message = "A function's DynamoDB actions or resources differ from the grants in routes.json."
  }

  assert {
    condition = alltrue([
      for function in keys(aws_lambda_function.function) :
      aws_iam_role_policy.function[function].role == aws_iam_role.function[function].id &&
      aws_iam_role_policy.function[function].policy == data.aws_iam_policy_document.function[function].json &&
      aws_lambda_function.function[function].role == aws_iam_role.function[function].arn
    ])
    error_message = "A function does not run with its own role and that role's policy document."
  }

  # The boundary a bootstrap deploy role requires is on every role the stage creates.
  assert {
    condition = alltrue(concat(
      [for role in aws_iam_role.function : role.permissions_boundary == var.permissions_boundary_arn],
      [for role in aws_iam_role.api_gateway_logging : role.permissions_boundary == var.permissions_boundary_arn],
    ))
    error_message = "A role of the stage does not carry var.permissions_boundary_arn."
  }

  # The route functions answer within API Gateway's wait; the stream functions have their own
  # timeout for a batch's sequential PutEvents calls.
  assert {
    condition = alltrue(concat(
      [for route in var.routes_json : aws_lambda_function.function[route.function].timeout == var.lambda_timeout_seconds],
      [for stream in var.streams_json : aws_lambda_function.function[stream.function].timeout == var.stream_timeout_seconds],
    ))
    error_message = "A function's timeout is not lambda_timeout_seconds (routes) or stream_timeout_seconds (streams)."
  }

  # Every function writes only its own logs.

  assert {
    condition = alltrue([
      for function, document in data.aws_iam_policy_document.function :
      [
        for statement in document.statement : { actions = sort(statement.actions), resources = sort(statement.resources) }
        if statement.sid == "WriteOwnLogs"
      ] == [{ actions = sort(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = sort(["${aws_cloudwatch_log_group.function[function].arn}:*"]) }]
    ])
    error_message = "A function may write logs elsewhere than its own log group."
  }

  # Stream functions: read their table's stream, report failed batches to their own queue,
  # publish to the bus; nothing of the API's tables.

  assert {
    condition = alltrue([
      for stream in var.streams_json :
      {
        for statement in data.aws_iam_policy_document.function[stream.function].statement :
        statement.sid => { actions = sort(statement.actions), resources = sort(statement.resources) }
      }
      == {
        ReadItemsStream     = { actions = sort(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]), resources = sort([aws_dynamodb_table.items.stream_arn]) }
        ListStreams         = { actions = sort(["dynamodb:ListStreams"]), resources = sort(["*"]) }
        ReportFailedBatches = { actions = sort(["sqs:SendMessage"]), resources = sort([aws_sqs_queue.stream_failures[stream.function].arn]) }
        PublishEvents       = { actions = sort(["events:PutEvents"]), resources = sort([aws_cloudwatch_event_bus.items.arn]) }
        WriteOwnLogs        = { actions = sort(["logs:CreateLogStream", "logs:PutLogEvents"]), resources = sort(["${aws_cloudwatch_log_group.function[stream.function].arn}:*"]) }
        WriteTraces         = { actions = sort(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]), resources = sort(["*"]) }
      }
    ])
    error_message = "A stream function's policy is not exactly: read the items stream, send to its failure queue, publish to the bus, its own logs, traces."
  }

  assert {
    condition = alltrue([
      for stream in var.streams_json :
      aws_lambda_function.function[stream.function].memory_size == coalesce(var.lambda_memory_mb, stream.memory_size_mb) &&
      aws_lambda_function.function[stream.function].environment[0].variables == tomap({ EVENT_BUS_NAME = aws_cloudwatch_event_bus.items.name, RUST_LOG = var.log_level }) &&
      aws_lambda_event_source_mapping.stream_function[stream.function].function_name == aws_lambda_function.function[stream.function].arn &&
      one(one(aws_lambda_event_source_mapping.stream_function[stream.function].destination_config).on_failure).destination_arn == aws_sqs_queue.stream_failures[stream.function].arn
    ])
    error_message = "A stream function lacks its memory size, its environment, its event source mapping or its on-failure queue."
  }

  # Alarms: with the option, the APIs', each route function's and each table's; always, each
  # stream function's failed batches. Each watches its own function, table or queue.

  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.alarm)) == toset(concat(
      var.alarms_enabled ? ["http-5xx-rate", "items-table-throttles", "idempotency-table-throttles"] : [],
      var.alarms_enabled && var.rest_api_enabled ? ["rest-5xx-rate"] : [],
      flatten([for route in var.routes_json : [for metric in ["errors", "throttles", "duration-p99"] : "${route.function}-${metric}"] if var.alarms_enabled]),
      [for stream in var.streams_json : "${stream.function}-failed-batches"],
      flatten([for stream in var.streams_json : ["${stream.function}-errors", "${stream.function}-iterator-age"] if var.alarms_enabled]),
    ))
    error_message = "The alarms are not exactly the option's and the stream functions': ${jsonencode(keys(aws_cloudwatch_metric_alarm.alarm))}."
  }

  assert {
    condition = alltrue(concat(
      flatten([
        for route in(var.alarms_enabled ? var.routes_json : []) : [
          for metric in ["errors", "throttles", "duration-p99"] :
          aws_cloudwatch_metric_alarm.alarm["${route.function}-${metric}"].dimensions == tomap({ FunctionName = aws_lambda_function.function[route.function].function_name }) &&
          aws_cloudwatch_metric_alarm.alarm["${route.function}-${metric}"].namespace == "AWS/Lambda"
        ]
      ]),
      [
        for stream in var.streams_json :
        aws_cloudwatch_metric_alarm.alarm["${stream.function}-failed-batches"].dimensions == tomap({ QueueName = aws_sqs_queue.stream_failures[stream.function].name })
      ],
      flatten([
        for stream in(var.alarms_enabled ? var.streams_json : []) : [
          for suffix, metric in { "errors" = "Errors", "iterator-age" = "IteratorAge" } :
          aws_cloudwatch_metric_alarm.alarm["${stream.function}-${suffix}"].dimensions == tomap({ FunctionName = aws_lambda_function.function[stream.function].function_name }) &&
          aws_cloudwatch_metric_alarm.alarm["${stream.function}-${suffix}"].metric_name == metric
        ]
      ]),
      [
        for table in(var.alarms_enabled ? ["items", "idempotency"] : []) :
        [
          for query in aws_cloudwatch_metric_alarm.alarm["${table}-table-throttles"].metric_query :
          one(query.metric).dimensions if length(query.metric) > 0
        ] == [for _ in range(2) : tomap({ TableName = (table == "items" ? aws_dynamodb_table.items.name : aws_dynamodb_table.idempotency.name) })]
      ],
    ))
    error_message = "An alarm does not watch its own function, queue or table."
  }

  # Traces: Lambda's active tracing on every function, the stream function too (it runs the
  # X-Ray daemon the functions send their subsegments to), and only the two X-Ray actions the
  # daemon calls, on "*" as X-Ray has no resource-level permissions for them.

  assert {
    condition     = alltrue([for function in aws_lambda_function.function : one(function.tracing_config).mode == "Active"])
    error_message = "A function (route or stream) does not have active tracing."
  }

  assert {
    # Compared as JSON: the statements' action lists and the literal differ in type only.
    condition = alltrue([
      for document in data.aws_iam_policy_document.function : jsonencode([
        for statement in document.statement : sort(statement.actions)
        if anytrue([for action in statement.actions : startswith(action, "xray:")])
      ]) == jsonencode([["xray:PutTelemetryRecords", "xray:PutTraceSegments"]])
    ])
    error_message = "A function's role grants other X-Ray actions than PutTraceSegments and PutTelemetryRecords."
  }

  # HTTP API: every route has its integration, authorizer and permission.

  assert {
    condition = alltrue([
      for route in var.routes_json :
      aws_apigatewayv2_route.function[route.function].route_key == route.route_key &&
      aws_apigatewayv2_route.function[route.function].target == "integrations/${aws_apigatewayv2_integration.function[route.function].id}" &&
      aws_apigatewayv2_route.function[route.function].api_id == aws_apigatewayv2_api.http.id
    ])
    error_message = "A route of routes.json is missing from the HTTP API or does not target its own integration."
  }

  assert {
    condition = alltrue([
      for route in var.routes_json :
      aws_apigatewayv2_integration.function[route.function].integration_type == "AWS_PROXY" &&
      aws_apigatewayv2_integration.function[route.function].payload_format_version == "2.0" &&
      aws_apigatewayv2_integration.function[route.function].integration_uri == try(
        aws_lambda_alias.live[route.function].invoke_arn,
        aws_lambda_function.function[route.function].invoke_arn,
      )
    ])
    error_message = "A route's integration does not invoke its own function (its live alias with provisioned concurrency)."
  }

  assert {
    condition = alltrue([
      for route in var.routes_json :
      aws_apigatewayv2_route.function[route.function].authorization_type == "JWT" &&
      aws_apigatewayv2_route.function[route.function].authorizer_id == aws_apigatewayv2_authorizer.jwt.id
    ])
    error_message = "A route is not behind the JWT authorizer."
  }

  assert {
    condition = alltrue([
      for route in var.routes_json :
      aws_lambda_permission.http_api[route.function].principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.http_api[route.function].function_name == aws_lambda_function.function[route.function].function_name &&
      aws_lambda_permission.http_api[route.function].qualifier == try(aws_lambda_alias.live[route.function].name, null) &&
      aws_lambda_permission.http_api[route.function].source_arn == format(
        "%s/*/%s%s",
        aws_apigatewayv2_api.http.execution_arn,
        split(" ", route.route_key)[0],
        replace(split(" ", route.route_key)[1], "/\\{[^/}]+\\}/", "*"),
      )
    ])
    error_message = "A function may not be invoked by exactly its own HTTP API route."
  }

  # Provisioned concurrency: on the functions named, through their live alias.

  assert {
    condition = (
      toset(keys(aws_lambda_provisioned_concurrency_config.live)) == toset([for function, instances in var.provisioned_concurrency : function if instances > 0]) &&
      toset(keys(aws_lambda_alias.live)) == toset(keys(aws_lambda_provisioned_concurrency_config.live))
    )
    error_message = "Provisioned concurrency is not on exactly the functions var.provisioned_concurrency names."
  }

  assert {
    condition = alltrue([
      for function, config in aws_lambda_provisioned_concurrency_config.live :
      config.provisioned_concurrent_executions == var.provisioned_concurrency[function] &&
      config.qualifier == aws_lambda_alias.live[function].name &&
      config.function_name == aws_lambda_function.function[function].function_name &&
      aws_lambda_alias.live[function].function_version == aws_lambda_function.function[function].version
    ])
    error_message = "A provisioned concurrency config does not hold the requested instances on its function's published version."
  }

  assert {
    condition = alltrue([
      for function, lambda in aws_lambda_function.function :
      lambda.publish == contains(keys(aws_lambda_alias.live), function)
    ])
    error_message = "Only the functions with provisioned concurrency publish versions."
  }

  # Warm-up: every function when enabled, none otherwise.

  assert {
    condition = (
      toset(keys(aws_cloudwatch_event_target.warmup)) == toset([for route in var.routes_json : route.function if var.warmup_enabled && lookup(var.provisioned_concurrency, route.function, 0) == 0]) &&
      toset(keys(aws_lambda_permission.warmup)) == toset(keys(aws_cloudwatch_event_target.warmup))
    )
    error_message = "The warm-up does not target exactly the functions without provisioned concurrency when warmup_enabled is set."
  }

  assert {
    condition = alltrue([
      for function, target in aws_cloudwatch_event_target.warmup :
      jsondecode(target.input) == { warmup = true } &&
      target.rule == aws_cloudwatch_event_rule.warmup[function].name &&
      target.arn == aws_lambda_function.function[function].arn &&
      aws_lambda_permission.warmup[function].function_name == aws_lambda_function.function[function].function_name &&
      aws_lambda_permission.warmup[function].qualifier == null &&
      aws_lambda_function_event_invoke_config.warmup[function].maximum_retry_attempts == 0 &&
      aws_lambda_permission.warmup[function].principal == "events.amazonaws.com" &&
      aws_lambda_permission.warmup[function].source_arn == aws_cloudwatch_event_rule.warmup[function].arn
    ])
    error_message = "A warm-up rule does not send {\"warmup\": true} to its own function, may not invoke it, or would be retried."
  }

  # REST API variant: the same routes, the list route cached by its query parameters, a usage plan.

  assert {
    condition = (
      toset(keys(aws_api_gateway_integration.route)) == toset([for route in var.routes_json : route.function if var.rest_api_enabled]) &&
      toset(keys(aws_api_gateway_method.route)) == toset(keys(aws_api_gateway_integration.route)) &&
      toset(keys(aws_lambda_permission.rest_api)) == toset(keys(aws_api_gateway_integration.route))
    )
    error_message = "The REST API does not serve every route exactly when rest_api_enabled is set."
  }

  assert {
    condition = alltrue([
      for route in(var.rest_api_enabled ? var.routes_json : []) :
      aws_api_gateway_integration.route[route.function].type == "AWS_PROXY" &&
      aws_api_gateway_integration.route[route.function].http_method == split(" ", route.route_key)[0] &&
      aws_api_gateway_integration.route[route.function].uri == try(
        aws_lambda_alias.live[route.function].invoke_arn,
        aws_lambda_function.function[route.function].invoke_arn,
      ) &&
      aws_api_gateway_method.route[route.function].authorization == "COGNITO_USER_POOLS" &&
      aws_api_gateway_method.route[route.function].authorizer_id == aws_api_gateway_authorizer.cognito[0].id &&
      aws_api_gateway_method.route[route.function].api_key_required == var.rest_api_key_required &&
      aws_lambda_permission.rest_api[route.function].function_name == aws_lambda_function.function[route.function].function_name &&
      aws_lambda_permission.rest_api[route.function].source_arn == format(
        "%s/*/%s%s",
        aws_api_gateway_rest_api.rest[0].execution_arn,
        split(" ", route.route_key)[0],
        replace(split(" ", route.route_key)[1], "/\\{[^/}]+\\}/", "*"),
      )
    ])
    error_message = "A REST route does not invoke its own function behind the Cognito authorizer and the API key setting."
  }

  assert {
    condition = alltrue([
      for route in(var.rest_api_enabled ? var.routes_json : []) :
      toset(aws_api_gateway_integration.route[route.function].cache_key_parameters) == (
        route.use_case == "list"
        ? toset(["method.request.querystring.category", "method.request.querystring.limit", "method.request.querystring.cursor"])
        : toset([])
      )
    ])
    error_message = "The list route's cache is not keyed by category, limit and cursor, or another route has cache keys."
  }

  assert {
    condition = (
      toset(keys(aws_api_gateway_method_settings.cached)) == toset([for route in var.routes_json : route.function if route.use_case == "list" && var.rest_api_enabled]) &&
      alltrue([
        for function, cached in aws_api_gateway_method_settings.cached :
        cached.method_path == "${trimprefix(split(" ", aws_apigatewayv2_route.function[function].route_key)[1], "/")}/GET" &&
        cached.settings[0].caching_enabled &&
        cached.settings[0].cache_data_encrypted &&
        cached.settings[0].cache_ttl_in_seconds == var.rest_cache_ttl_seconds
      ]) &&
      alltrue([for all in aws_api_gateway_method_settings.all : all.method_path == "*/*" && !all.settings[0].caching_enabled])
    )
    error_message = "Only the list route may be cached, encrypted, for rest_cache_ttl_seconds."
  }

  assert {
    condition = alltrue([
      for plan in aws_api_gateway_usage_plan.rest :
      one(plan.api_stages).api_id == aws_api_gateway_rest_api.rest[0].id &&
      one(plan.api_stages).stage == aws_api_gateway_stage.rest[0].stage_name &&
      one(plan.quota_settings).limit == var.rest_quota_limit &&
      one(plan.quota_settings).period == var.rest_quota_period &&
      one(plan.throttle_settings).burst_limit == var.rest_throttle_burst_limit &&
      one(plan.throttle_settings).rate_limit == var.rest_throttle_rate_limit &&
      aws_api_gateway_usage_plan_key.rest[0].usage_plan_id == plan.id &&
      aws_api_gateway_usage_plan_key.rest[0].key_id == aws_api_gateway_api_key.rest[0].id &&
      aws_api_gateway_stage.rest[0].cache_cluster_enabled &&
      aws_api_gateway_stage.rest[0].cache_cluster_size == var.rest_cache_size_gb
    ]) && length(aws_api_gateway_usage_plan.rest) == (var.rest_api_enabled ? 1 : 0)
    error_message = "The REST usage plan does not apply the quota and throttle variables to the stage and its API key, or the stage has no cache."
  }
}

# A production stage with alarms on must name where they go (whatever the variables file).
run "production_alarms_need_a_target" {
  command = plan

  variables {
    production         = true
    cors_allow_origins = []
    alarms_enabled     = true
    alarm_email        = null
    alarm_topic_arn    = null
  }

  expect_failures = [output.alarm_topic_arn]
}

# A route function must time out before API Gateway stops waiting for it.
run "route_timeout_fits_the_integration" {
  command = plan

  variables {
    lambda_timeout_seconds = 12
    integration_timeout_ms = 12000
    rest_api_enabled       = false
    cloudfront_enabled     = false
  }

  expect_failures = [aws_apigatewayv2_stage.default]
}
