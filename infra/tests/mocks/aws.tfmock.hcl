# Values for the mock AWS provider where the provider validates an attribute that another
# resource reads (an ARN, a user pool id) or the configuration parses it (a policy document).
# Every other computed attribute gets a distinct random value per instance, so an assertion that
# compares two references (a route's integration and a function's invoke ARN) tells instances apart.

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

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/mock"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock"
  }
}

mock_resource "aws_apigatewayv2_api" {
  defaults = {
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:mockhttp"
  }
}

mock_resource "aws_api_gateway_rest_api" {
  defaults = {
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:mockrest"
  }
}

mock_resource "aws_cognito_user_pool" {
  defaults = {
    id       = "eu-west-1_mock"
    arn      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_mock"
    endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_mock"
  }
}

mock_resource "aws_lambda_function" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
  }
}

mock_resource "aws_lambda_alias" {
  defaults = {
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:mock:live"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-1:123456789012:mock"
  }
}

mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/mock"
    domain_validation_options = [{
      domain_name           = "api.example.com"
      resource_record_name  = "_check.api.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_check.acm-validations.aws."
    }]
  }
}

mock_resource "aws_api_gateway_stage" {
  defaults = {
    arn        = "arn:aws:apigateway:eu-west-1::/restapis/mockrest/stages/api"
    invoke_url = "https://mockrest.execute-api.eu-west-1.amazonaws.com/api"
  }
}

mock_resource "aws_cloudwatch_event_bus" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:event-bus/mock"
  }
}

# One block per type: a rule on the change-event bus (rule/<bus>/<rule>) or the default bus
# (the warm-up rules) both accept this ARN.
mock_resource "aws_cloudwatch_event_rule" {
  defaults = {
    arn = "arn:aws:events:eu-west-1:123456789012:rule/mock/mock"
  }
}

mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mock"
  }
}

mock_resource "aws_dynamodb_table" {
  defaults = {
    stream_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/mock/stream/2026-01-01T00:00:00.000"
  }
}
