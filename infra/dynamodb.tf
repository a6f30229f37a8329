# The two tables, exactly as adapters/dynamodb/src/table_design.rs designs them (the consistency
# test in infra/tests compares key names, types, the index and the TTL attribute).

resource "aws_dynamodb_table" "items" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed key adds a key policy to run and a monthly cost without changing who can read the table.
  name                        = "${var.name}-items"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.table_deletion_protection
  # The change feed (events.tf): every write with the item before and after it.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }

  attribute {
    name = "category"
    type = "S"
  }

  attribute {
    name = "created_at"
    type = "S"
  }

  # Sparse: items without a category are not in it. Newest first within a category.
  global_secondary_index {
    name            = local.category_index_name
    hash_key        = "category"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_dynamodb_table" "idempotency" {
  #checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed key adds a key policy to run and a monthly cost without changing who can read the table.
  name                        = "${var.name}-idempotency"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "scope"
  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = "scope"
    type = "S"
  }

  # Records expire 24 hours after the create they remember (the adapter also ignores expired
  # records, since DynamoDB deletes them only eventually).
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}
