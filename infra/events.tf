# Change events: the items table's stream feeds the stream functions of routes.json `streams`,
# which publish every create, replace and delete to a custom event bus. Failed batches end in
# an on-failure queue (with an alarm, in alarms.tf), the bus keeps an archive for replays, and
# one example rule copies every event to a log group so a new deployment shows events arriving.

locals {
  # Keyed by function name, like local.routes.
  stream_functions = {
    for stream in try(jsondecode(file("${path.module}/../routes.json")).streams, []) : stream.function => stream
  }

  # The `source` and `detail-type`s the functions publish, from the published event schema
  # (the Rust tests hold the code to the same schema).
  event_schema       = jsondecode(file("${path.module}/../events.schema.json"))
  event_source       = local.event_schema.properties.source.const
  event_detail_types = local.event_schema.properties["detail-type"].enum
}

variable "events_batch_size" {
  description = "Stream records per invocation of the stream function (the publisher sends at most 10 per PutEvents call)."
  type        = number
  default     = 100

  validation {
    condition     = var.events_batch_size >= 1 && var.events_batch_size <= 10000
    error_message = "A DynamoDB stream event source mapping takes 1 to 10000 records per batch."
  }
}

variable "stream_timeout_seconds" {
  description = "Timeout of the stream functions. A batch of events_batch_size records is published in sequential PutEvents calls of at most 10 entries, each allowed 5 s (the SDK's operation timeout, retries included); the function starts none that could outlast its deadline and hands the rest back for a retry. The default covers a whole batch of 100 at that worst case."
  type        = number
  default     = 60

  validation {
    condition     = var.stream_timeout_seconds >= 1 && var.stream_timeout_seconds <= 900
    error_message = "A Lambda timeout is 1 to 900 seconds."
  }
}

variable "events_batching_window_seconds" {
  description = "How long the event source mapping may wait to fill a batch: latency traded for fewer invocations."
  type        = number
  default     = 1

  validation {
    condition     = var.events_batching_window_seconds >= 0 && var.events_batching_window_seconds <= 300
    error_message = "The batching window is 0 to 300 seconds."
  }
}

variable "events_max_retry_attempts" {
  description = "Retries of a failing record before it goes to the on-failure queue (later records of its shard wait meanwhile)."
  type        = number
  default     = 10
}

variable "events_max_record_age_seconds" {
  description = "Records older than this go to the on-failure queue instead of being retried (the stream keeps records 24 hours)."
  type        = number
  default     = 86400
}

variable "events_archive_retention_days" {
  description = "How long the event bus's archive keeps events for replay (0 keeps them forever)."
  type        = number
  default     = 30
}

# ---- The event bus, its archive and an example subscription --------------------------------

resource "aws_cloudwatch_event_bus" "items" {
  name = "${var.name}-events"
}

resource "aws_cloudwatch_event_archive" "items" {
  name             = "${var.name}-events"
  description      = "Every event of the items bus, for replays after a consumer's bug or outage."
  event_source_arn = aws_cloudwatch_event_bus.items.arn
  retention_days   = var.events_archive_retention_days
}

# The example subscription: every item event, copied to a log group.
resource "aws_cloudwatch_log_group" "item_events" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; a customer managed key would add cost and a key policy, not protection, for an example subscription.
  #checkov:skip=CKV_AWS_338:Retention is a deployment choice (var.log_retention_days).
  name              = "/aws/events/${var.name}-item-events"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_event_rule" "all_item_events" {
  name           = "${var.name}-all-item-events"
  description    = "Example subscription: every change event of the items API."
  event_bus_name = aws_cloudwatch_event_bus.items.name
  event_pattern = jsonencode({
    source        = [local.event_source]
    "detail-type" = local.event_detail_types
  })
}

resource "aws_cloudwatch_event_target" "item_events_log" {
  rule           = aws_cloudwatch_event_rule.all_item_events.name
  event_bus_name = aws_cloudwatch_event_bus.items.name
  arn            = aws_cloudwatch_log_group.item_events.arn
}

# EventBridge writes to a log group under that group's resource policy, not a role.
data "aws_iam_policy_document" "item_events_log" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.item_events.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.all_item_events.arn]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "item_events_log" {
  policy_name     = "${var.name}-item-events"
  policy_document = data.aws_iam_policy_document.item_events_log.json
}

# ---- The stream functions ----------------------------------------------------------------

locals {
  # Each stream function's entry in local.functions (functions.tf), which deploys it with its
  # log group and role as it deploys the route functions.
  stream_function_definitions = {
    for function, stream in local.stream_functions : function => {
      description      = "Publishes the items table's changes as events on ${aws_cloudwatch_event_bus.items.name}."
      role_description = "The ${function} stream function: reads the items table's stream, publishes to the items bus."
      memory_mb        = stream.memory_size_mb
      timeout_seconds  = var.stream_timeout_seconds
      environment = {
        EVENT_BUS_NAME = aws_cloudwatch_event_bus.items.name
        RUST_LOG       = var.log_level
      }
      # What the event source mapping does with the function's role: read this table's stream
      # only, and send failed batches' descriptions to the on-failure queue; then what the
      # function does: publish to the bus.
      statements = [
        {
          sid       = "ReadItemsStream"
          actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
          resources = [aws_dynamodb_table.items.stream_arn]
        },
        # ListStreams has no resource type in IAM: granted on a stream's ARN it grants nothing,
        # and it only ever lists stream ARNs.
        {
          sid       = "ListStreams"
          actions   = ["dynamodb:ListStreams"]
          resources = ["*"]
        },
        {
          sid       = "ReportFailedBatches"
          actions   = ["sqs:SendMessage"]
          resources = [aws_sqs_queue.stream_failures[function].arn]
        },
        {
          sid       = "PublishEvents"
          actions   = ["events:PutEvents"]
          resources = [aws_cloudwatch_event_bus.items.arn]
        },
      ]
    }
  }
}

# Where a batch goes after its retries: the mapping sends a description of the failed records
# (shard, sequence numbers), from which they can be read again while the stream keeps them.
resource "aws_sqs_queue" "stream_failures" {
  for_each = local.stream_functions

  name                      = "${var.name}-${each.key}-failures"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_lambda_event_source_mapping" "stream_function" {
  for_each = local.stream_functions

  event_source_arn  = aws_dynamodb_table.items.stream_arn
  function_name     = aws_lambda_function.function[each.key].arn
  starting_position = "TRIM_HORIZON"

  batch_size                         = var.events_batch_size
  maximum_batching_window_in_seconds = var.events_batching_window_seconds
  # The function names the first record to retry from; bisecting isolates a record that
  # fails the whole invocation. One batch per shard at a time keeps each item's order.
  function_response_types        = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error = true
  parallelization_factor         = 1
  maximum_retry_attempts         = var.events_max_retry_attempts
  maximum_record_age_in_seconds  = var.events_max_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures[each.key].arn
    }
  }

  lifecycle {
    # A batch whose PutEvents calls all take their full 5 s should fit one invocation: with less
    # time the function hands the batch's rest back at its deadline, and a slow bus turns each
    # batch into several retries (bounded by events_max_retry_attempts) before records reach the
    # on-failure queue.
    precondition {
      condition     = var.stream_timeout_seconds > ceil(var.events_batch_size / 10) * 5
      error_message = "stream_timeout_seconds must exceed 5 s per PutEvents call of a batch (ceil(events_batch_size / 10) calls): raise it or lower events_batch_size."
    }
  }
}

output "event_bus_name" {
  description = "The bus the items API publishes change events to; subscribe with a rule on it."
  value       = aws_cloudwatch_event_bus.items.name
}

output "item_events_log_group" {
  description = "The example subscription's log group: every change event arrives here."
  value       = aws_cloudwatch_log_group.item_events.name
}
