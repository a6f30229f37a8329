# Option: a scheduled rule per function sending {"warmup": true}, which the functions answer at
# once without touching the store (var.warmup_enabled, off by default). Functions with
# provisioned concurrency are left out: their instances are initialised and kept by Lambda, so a
# ping would only cost an invocation.

locals {
  warmup_functions = var.warmup_enabled ? {
    for function, route in local.routes : function => route if !contains(keys(local.provisioned_functions), function)
  } : {}
}

resource "aws_cloudwatch_event_rule" "warmup" {
  for_each = local.warmup_functions

  name                = "${var.name}-warmup-${each.key}"
  description         = "Keeps an instance of ${each.key} warm."
  schedule_expression = var.warmup_schedule
}

resource "aws_cloudwatch_event_target" "warmup" {
  for_each = local.warmup_functions

  rule  = aws_cloudwatch_event_rule.warmup[each.key].name
  arn   = aws_lambda_function.function[each.key].arn
  input = jsonencode({ warmup = true })
}

# EventBridge invokes asynchronously: a warm-up that fails or waits is not worth retrying, since
# the next one comes with the schedule.
resource "aws_lambda_function_event_invoke_config" "warmup" {
  for_each = local.warmup_functions

  function_name                = aws_lambda_function.function[each.key].function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 60
}

resource "aws_lambda_permission" "warmup" {
  for_each = local.warmup_functions

  statement_id  = "AllowWarmupRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.warmup[each.key].arn
}
