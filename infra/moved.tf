# Where resources of an existing deployment moved to when the stream function joined the route
# functions' definition (functions.tf) and the alarms became one definition (alarms.tf): its
# state moves, nothing is destroyed or created. A `moved` block names instances, not a for_each,
# so these list the functions and tables deployed before that change; a function or table added
# since needs none. Once every deployment has applied a configuration with these blocks, they
# can be deleted.

moved {
  from = aws_cloudwatch_log_group.stream_function["publish-item-events"]
  to   = aws_cloudwatch_log_group.function["publish-item-events"]
}

moved {
  from = aws_iam_role.stream_function["publish-item-events"]
  to   = aws_iam_role.function["publish-item-events"]
}

moved {
  from = aws_iam_role_policy.stream_function["publish-item-events"]
  to   = aws_iam_role_policy.function["publish-item-events"]
}

moved {
  from = aws_lambda_function.stream_function["publish-item-events"]
  to   = aws_lambda_function.function["publish-item-events"]
}

moved {
  from = aws_cloudwatch_metric_alarm.http_5xx_rate[0]
  to   = aws_cloudwatch_metric_alarm.alarm["http-5xx-rate"]
}

moved {
  from = aws_cloudwatch_metric_alarm.rest_5xx_rate[0]
  to   = aws_cloudwatch_metric_alarm.alarm["rest-5xx-rate"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["create-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["create-item-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["delete-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["delete-item-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["get-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["get-item-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["list-items"]
  to   = aws_cloudwatch_metric_alarm.alarm["list-items-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["patch-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["patch-item-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_errors["update-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["update-item-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["create-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["create-item-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["delete-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["delete-item-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["get-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["get-item-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["list-items"]
  to   = aws_cloudwatch_metric_alarm.alarm["list-items-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["patch-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["patch-item-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_throttles["update-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["update-item-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["create-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["create-item-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["delete-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["delete-item-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["get-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["get-item-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["list-items"]
  to   = aws_cloudwatch_metric_alarm.alarm["list-items-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["patch-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["patch-item-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_duration["update-item"]
  to   = aws_cloudwatch_metric_alarm.alarm["update-item-duration-p99"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dynamodb_throttles["items"]
  to   = aws_cloudwatch_metric_alarm.alarm["items-table-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dynamodb_throttles["idempotency"]
  to   = aws_cloudwatch_metric_alarm.alarm["idempotency-table-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.stream_failures["publish-item-events"]
  to   = aws_cloudwatch_metric_alarm.alarm["publish-item-events-failed-batches"]
}
