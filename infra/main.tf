# The routes come from the one route list the functions, the local stage and the tests read:
# a new route is one entry in routes.json plus one function crate, nothing here.

locals {
  route_list = jsondecode(file("${path.module}/../routes.json")).routes

  # Keyed by function name: one function, log group, role, integration, route and permission
  # per entry.
  routes = {
    for route in local.route_list : route.function => {
      route_key = route.route_key
      use_case  = route.use_case
      memory_mb = route.memory_size_mb
      method    = split(" ", route.route_key)[0]
      path      = split(" ", route.route_key)[1]
      dynamodb  = route.dynamodb
      # The path with every {parameter} as `*`: execute-api ARNs for Lambda permissions.
      arn_path = replace(split(" ", route.route_key)[1], "/\\{[^/}]+\\}/", "*")
    }
  }

  # The zips scripts/package builds, of every function (functions.tf).
  function_zips = {
    for function in keys(local.functions) : function => "${path.module}/../target/lambda/${function}/bootstrap.zip"
  }

  # The category index's name, as adapters/dynamodb/src/table_design.rs declares it; the table
  # and the IAM resource ARN below both use it.
  category_index_name = "by-category"

  # The resources routes.json names, as IAM resource ARNs.
  dynamodb_resource_arns = {
    items_table       = aws_dynamodb_table.items.arn
    category_index    = "${aws_dynamodb_table.items.arn}/index/${local.category_index_name}"
    idempotency_table = aws_dynamodb_table.idempotency.arn
  }

  # The environment a function reads (FunctionConfig in adapters/apigateway/src/config.rs).
  function_environment = {
    ITEMS_TABLE       = aws_dynamodb_table.items.name
    IDEMPOTENCY_TABLE = aws_dynamodb_table.idempotency.name
    ADMIN_GROUP       = var.admin_group
    CURSOR_KEY        = terraform_data.cursor_key.output
    RUST_LOG          = var.log_level
  }

  # Lambda's JSON log filter at the most verbose level RUST_LOG names (a bare target such as
  # `items_domain` means every level, as in tracing-subscriber); INFO when it names none.
  log_directives = [for directive in split(",", lower(var.log_level)) : trimspace(directive) if trimspace(directive) != ""]
  log_levels_named = [
    for directive in local.log_directives :
    contains(["trace", "debug", "info", "warn", "error"], element(split("=", directive), length(split("=", directive)) - 1))
    ? element(split("=", directive), length(split("=", directive)) - 1)
    : (length(split("=", directive)) == 1 && directive != "off" ? "trace" : "off")
  ]
  lambda_application_log_level = upper(concat(
    [for level in ["trace", "debug", "info", "warn", "error"] : level if contains(local.log_levels_named, level)],
    ["info"],
  )[0])

  # One JSON line per request, with the keys the local stage's access log writes (the test
  # tests/tests/access_log_format.rs holds them together); `caller` is the verified token's
  # subject ("-" when API Gateway verified none).
  http_access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    caller             = "$context.authorizer.claims.sub"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    latency            = "$context.responseLatency"
    integrationLatency = "$context.integrationLatency"
    # Why API Gateway answered itself, or refused, or got no usable answer from the function.
    errorMessage     = "$context.error.message"
    authorizerError  = "$context.authorizer.error"
    integrationError = "$context.integrationErrorMessage"
  })
}

data "aws_partition" "current" {}

# The key the functions seal listing cursors with (CURSOR_KEY; adapters/apigateway's
# cursor_key.rs): random once per stage and kept in the state, so every function and every
# deploy opens the cursors the others wrote. A listing integrity key, not a credential: a cursor
# made with it can only start a listing the caller may read anyway. Replacing it
# (`terraform apply -replace=terraform_data.cursor_key`) turns the cursors callers hold into 400s.
resource "terraform_data" "cursor_key" {
  input = "${uuid()}${uuid()}"

  lifecycle {
    ignore_changes = [input]
  }
}
