# Option: a scheduled rule per function sending {"warmup": true}, which the functions answer at
# once without touching the store (var.warmup_enabled, off by default).

locals {
  warmup_functions = var.warmup_enabled ? local.routes : {}
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
  arn   = contains(keys(local.provisioned_functions), each.key) ? aws_lambda_alias.live[each.key].arn : aws_lambda_function.function[each.key].arn
  input = jsonencode({ warmup = true })
}

resource "aws_lambda_permission" "warmup" {
  for_each = local.warmup_functions

  statement_id  = "AllowWarmupRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  qualifier     = local.function_qualifiers[each.key]
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.warmup[each.key].arn
}
