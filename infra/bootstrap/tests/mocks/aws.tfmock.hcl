# Values for the mock AWS provider where the configuration parses or embeds them; every other
# computed attribute (a boundary policy's ARN) gets a distinct random value per instance.

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::items-api-tfstate-123456789012"
  }
}
