# Option: provisioned concurrency per function (var.provisioned_concurrency, empty by default).
# Such a function publishes a version on each deploy, a `live` alias points at it, and its
# routes and permissions target the alias; the warm-up leaves them out.

locals {
  provisioned_functions = { for function, instances in var.provisioned_concurrency : function => instances if instances > 0 }
}

resource "aws_lambda_alias" "live" {
  for_each = local.provisioned_functions

  name             = "live"
  description      = "The published version that has provisioned concurrency."
  function_name    = aws_lambda_function.function[each.key].function_name
  function_version = aws_lambda_function.function[each.key].version
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  for_each = local.provisioned_functions

  function_name                     = aws_lambda_alias.live[each.key].function_name
  qualifier                         = aws_lambda_alias.live[each.key].name
  provisioned_concurrent_executions = each.value
}
