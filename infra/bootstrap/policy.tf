# What a deploy role may do: create, change and delete the resources of stages named
# <name>-<stage> (functions, tables, log groups, roles, rules, buses, archives, queues, topics,
# alarms, dashboards) and read and write their state. Where a service's ARNs carry no name (API
# Gateway, Cognito user pools, ACM certificates, CloudFront, event source mappings), the
# statement is limited to this account and region, or to the function a mapping feeds. The
# roles may never change the deploy roles themselves.

locals {
  arn_prefix = "arn:${local.partition}"
  in_region  = "${var.region}:${local.account_id}"
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_356:Only actions that name no resource yet or have no resource type (creating a user pool or an event source mapping, requesting a certificate, reading a Logs Insights query's results, log resource policies and deliveries, listing CloudFront's policies) have "*"; everything else is scoped to the stages' names or this account and region.
  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "StateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/*"]
  }

  statement {
    sid     = "StageResourcesByName"
    actions = ["lambda:*", "dynamodb:*", "events:*", "sns:*", "cloudwatch:*"]
    resources = [
      "${local.arn_prefix}:lambda:${local.in_region}:function:${local.prefix}*",
      "${local.arn_prefix}:dynamodb:${local.in_region}:table/${local.prefix}*",
      # Rules on the default bus (warm-up) and on the stage's own bus (rule/<bus>/<rule>).
      "${local.arn_prefix}:events:${local.in_region}:rule/${local.prefix}*",
      "${local.arn_prefix}:events:${local.in_region}:event-bus/${local.prefix}*",
      "${local.arn_prefix}:events:${local.in_region}:archive/${local.prefix}*",
      "${local.arn_prefix}:sns:${local.in_region}:${local.prefix}*",
      "${local.arn_prefix}:cloudwatch:${local.in_region}:alarm:${local.prefix}*",
      "${local.arn_prefix}:cloudwatch::${local.account_id}:dashboard/${local.prefix}*",
    ]
  }

  # The stream functions' on-failure queues: what the provider calls to manage a queue.
  statement {
    sid = "StageQueues"
    actions = [
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
      "sqs:GetQueueUrl", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ]
    resources = ["${local.arn_prefix}:sqs:${local.in_region}:${local.prefix}*"]
  }

  # Event source mappings have generated ids: create, read, change and delete are limited by
  # the function they feed (lambda:FunctionArn); creating one names no resource yet.
  statement {
    sid       = "StreamMappings"
    actions   = ["lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn_prefix}:lambda:${local.in_region}:function:${local.prefix}*"]
    }
  }

  # Tags of a mapping: these actions take no lambda:FunctionArn, so only the account and region.
  statement {
    sid       = "StreamMappingTags"
    actions   = ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"]
    resources = ["${local.arn_prefix}:lambda:${local.in_region}:event-source-mapping:*"]
  }

  statement {
    sid     = "StageLogGroups"
    actions = ["logs:*"]
    resources = [
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/lambda/${local.prefix}*",
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/apigateway/${local.prefix}*",
      # The example subscription of the change events (events.tf).
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/events/${local.prefix}*",
      # The REST option's execution logs, named by API Gateway after the REST API's id.
      "${local.arn_prefix}:logs:${local.in_region}:log-group:API-Gateway-Execution-Logs_*",
    ]
  }

  # CloudWatch Logs has no resource-level permissions for these: the event log group's resource
  # policy (events.tf), and the log delivery API Gateway sets up for an HTTP API's access logs.
  statement {
    sid = "LogsAccountLevel"
    actions = [
      "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DeleteResourcePolicy",
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
    ]
    resources = ["*"]
  }

  # Listing and querying (the cold-start report) cannot be narrowed to a log group name.
  statement {
    sid       = "LogsReadAnywhere"
    actions   = ["logs:DescribeLogGroups", "logs:GetQueryResults", "logs:StopQuery"]
    resources = ["*"]
  }

  statement {
    sid = "StageRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${local.prefix}*"]
  }

  # The one managed policy the stage attaches: API Gateway's logging role (REST option).
  statement {
    sid       = "AttachApiGatewayLogging"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${local.prefix}*"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["${local.arn_prefix}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }

  statement {
    sid       = "PassStageRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${local.prefix}*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }

  # The deploy roles match the stage prefix too: they must not be able to widen themselves.
  statement {
    sid       = "NeverTheDeployRoles"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${var.name}-deploy-*"]
  }

  statement {
    sid     = "ServicesWithoutNamedArns"
    actions = ["apigateway:*", "cognito-idp:*", "acm:*"]
    resources = [
      "${local.arn_prefix}:apigateway:${var.region}::/*",
      "${local.arn_prefix}:cognito-idp:${local.in_region}:userpool/*",
      "${local.arn_prefix}:acm:${local.in_region}:certificate/*",
    ]
  }

  # The CloudFront and WAF options: distributions and policies carry generated ids; web ACLs
  # are given to the stage, which only associates them.
  statement {
    sid     = "EdgeOptions"
    actions = ["cloudfront:*", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource"]
    resources = [
      "${local.arn_prefix}:cloudfront::${local.account_id}:*",
      "${local.arn_prefix}:wafv2:*:${local.account_id}:*/webacl/*/*",
      "${local.arn_prefix}:apigateway:${var.region}::/restapis/*/stages/*",
    ]
  }

  # Creating a user pool or requesting a certificate names no resource yet; listing
  # CloudFront's policies (the Managed-* ones cloudfront.tf looks up) has no resource type.
  statement {
    sid = "CreateWithoutArn"
    actions = [
      "cognito-idp:CreateUserPool", "cognito-idp:ListUserPools", "acm:RequestCertificate", "acm:ListCertificates",
      "cloudfront:ListCachePolicies", "cloudfront:ListOriginRequestPolicies", "cloudfront:ListResponseHeadersPolicies",
    ]
    resources = ["*"]
  }

  # Reading a policy by id: the Managed-* ones belong to AWS, not to this account.
  statement {
    sid     = "ReadCloudFrontPolicies"
    actions = ["cloudfront:GetCachePolicy", "cloudfront:GetOriginRequestPolicy", "cloudfront:GetResponseHeadersPolicy"]
    resources = [
      "${local.arn_prefix}:cloudfront::*:cache-policy/*",
      "${local.arn_prefix}:cloudfront::*:origin-request-policy/*",
      "${local.arn_prefix}:cloudfront::*:response-headers-policy/*",
    ]
  }

  # The custom domain option: validation and alias records in the zone the stage is given.
  statement {
    sid       = "Route53Records"
    actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListTagsForResource"]
    resources = ["${local.arn_prefix}:route53:::hostedzone/*", "${local.arn_prefix}:route53:::change/*"]
  }
}
