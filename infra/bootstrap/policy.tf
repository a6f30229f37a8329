# What each deploy role may do: create, change and delete the resources of the stages its GitHub
# environment deploys (var.environments: staging deploys items-api-staging, preview every
# items-api-pr-*), and read and write those stages' state objects only. Named resources
# (functions, tables, log groups, roles, rules, buses, archives, queues, topics, alarms,
# dashboards) are scoped to the stages' names. Where a service's ARNs carry no name (API
# Gateway, Cognito user pools, ACM certificates, CloudFront, event source mappings), the
# statement is limited to this account and region, or to the function a mapping feeds, and
# resources tagged as another application or stage are refused (the stage's default tag
# `application = <name>-<stage>`). Every role a stage creates must carry that environment's
# permissions boundary, so a role a deploy role writes can never do more than that stage's
# functions need. The roles may never change the deploy roles or the boundaries themselves.
#
# What stays account-wide because AWS has no narrower scope: CloudWatch Logs resource policies
# and log deliveries, Logs Insights query results, the REST option's execution log groups
# (named after the REST API's generated id), event source mappings' tags, the Route 53 records
# of the custom domain option's zone, API Gateway's account settings (the REST option's logging
# role) and its untagged sub-resources. Keep production in its own account where that matters.

locals {
  arn_prefix = "arn:${local.partition}"
  in_region  = "${var.region}:${local.account_id}"

  # Per GitHub environment: the name of its stages (a pattern for previews) and what they own.
  stages = {
    for environment, stage in var.environments : environment => {
      # items-api-staging, or items-api-pr-* for every pull request's stage: the dashboard's
      # name and the `application` tag of every resource of the stage.
      name = "${var.name}-${stage}"
      # Every other resource of a stage is named <name>-<stage>-...
      children = endswith(stage, "*") ? "${var.name}-${stage}" : "${var.name}-${stage}-*"
      # scripts/deploy: stages/<stage>.tfstate, and S3's lock file beside it.
      state = ["${aws_s3_bucket.state.arn}/stages/${stage}.tfstate", "${aws_s3_bucket.state.arn}/stages/${stage}.tfstate.tflock"]
    }
  }
}

data "aws_iam_policy_document" "deploy" {
  #checkov:skip=CKV_AWS_356:Only actions that name no resource yet or have no resource type (creating a user pool or an event source mapping, requesting a certificate, reading a Logs Insights query's results, log resource policies and deliveries, listing CloudFront's policies) have "*"; everything else is scoped to the stages' names or this account and region.
  for_each = local.stages

  statement {
    sid       = "StateBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "StateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = each.value.state
  }

  statement {
    sid     = "StageResourcesByName"
    actions = ["lambda:*", "dynamodb:*", "events:*", "sns:*", "cloudwatch:*"]
    resources = [
      "${local.arn_prefix}:lambda:${local.in_region}:function:${each.value.children}",
      "${local.arn_prefix}:dynamodb:${local.in_region}:table/${each.value.children}",
      # Rules on the default bus (warm-up) and on the stage's own bus (rule/<bus>/<rule>).
      "${local.arn_prefix}:events:${local.in_region}:rule/${each.value.children}",
      "${local.arn_prefix}:events:${local.in_region}:event-bus/${each.value.children}",
      "${local.arn_prefix}:events:${local.in_region}:archive/${each.value.children}",
      "${local.arn_prefix}:sns:${local.in_region}:${each.value.children}",
      "${local.arn_prefix}:cloudwatch:${local.in_region}:alarm:${each.value.children}",
      "${local.arn_prefix}:cloudwatch::${local.account_id}:dashboard/${each.value.name}",
    ]
  }

  # The stream functions' on-failure queues: what the provider calls to manage a queue.
  statement {
    sid = "StageQueues"
    actions = [
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
      "sqs:GetQueueUrl", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ]
    resources = ["${local.arn_prefix}:sqs:${local.in_region}:${each.value.children}"]
  }

  # Event source mappings have generated ids: create, read, change and delete are limited by
  # the function they feed (lambda:FunctionArn); creating one names no resource yet.
  statement {
    sid       = "CreateStreamMappings"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn_prefix}:lambda:${local.in_region}:function:${each.value.children}"]
    }
  }

  statement {
    sid       = "StreamMappings"
    actions   = ["lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
    resources = ["${local.arn_prefix}:lambda:${local.in_region}:event-source-mapping:*"]

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn_prefix}:lambda:${local.in_region}:function:${each.value.children}"]
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
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/lambda/${each.value.children}",
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/apigateway/${each.value.children}",
      # The example subscription of the change events (events.tf).
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/events/${each.value.children}",
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
      "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
      "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${each.value.children}"]
  }

  # A role is created, and given policies, only with this environment's boundary on it: what
  # its inline policy says can never reach beyond what the stage's functions need.
  statement {
    sid       = "StageRolesWithinBoundary"
    actions   = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${each.value.children}"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.stage_boundary[each.key].arn]
    }
  }

  # The one managed policy the stage attaches: API Gateway's logging role (REST option).
  statement {
    sid       = "AttachApiGatewayLogging"
    actions   = ["iam:AttachRolePolicy"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${each.value.children}"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["${local.arn_prefix}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.stage_boundary[each.key].arn]
    }
  }

  statement {
    sid       = "DetachApiGatewayLogging"
    actions   = ["iam:DetachRolePolicy"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${each.value.children}"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["${local.arn_prefix}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }

  statement {
    sid       = "PassStageRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_prefix}:iam::${local.account_id}:role/${each.value.children}"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }

  # The deploy roles and the boundaries must stay out of reach even of a stage pattern that
  # happens to match their names.
  statement {
    sid     = "NeverTheDeployRolesOrBoundaries"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      "${local.arn_prefix}:iam::${local.account_id}:role/${var.name}-deploy-*",
      "${local.arn_prefix}:iam::${local.account_id}:policy/${var.name}-boundary-*",
    ]
  }

  # Nor may a stage role lose its boundary.
  statement {
    sid       = "NeverRemoveABoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
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

  # Those unnamed resources that carry another stage's (or application's) `application` tag
  # are not this environment's: refused. Untagged ones (sub-resources) are not matched.
  statement {
    sid       = "NotAnotherStagesTaggedResources"
    effect    = "Deny"
    actions   = ["apigateway:*", "cognito-idp:*", "acm:*", "cloudfront:*"]
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/application"
      values   = ["false"]
    }

    condition {
      test     = "StringNotLike"
      variable = "aws:ResourceTag/application"
      values   = [each.value.name]
    }
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

# The permissions boundary of every role a stage of this environment creates: at most what the
# stage's functions (routes.json's table actions, the stream function's reads and publishing,
# logs, traces) and the REST option's API Gateway logging role need, on that stage's resources.
# A role's own policy narrows this further; the boundary is what a deploy role cannot exceed.
data "aws_iam_policy_document" "stage_boundary" {
  for_each = local.stages

  statement {
    sid = "TableItems"
    actions = [
      "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      "${local.arn_prefix}:dynamodb:${local.in_region}:table/${each.value.children}",
    ]
  }

  statement {
    sid       = "TableStreams"
    actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
    resources = ["${local.arn_prefix}:dynamodb:${local.in_region}:table/${each.value.children}/stream/*"]
  }

  statement {
    sid       = "ListStreams"
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }

  statement {
    sid       = "FailedBatches"
    actions   = ["sqs:SendMessage"]
    resources = ["${local.arn_prefix}:sqs:${local.in_region}:${each.value.children}"]
  }

  statement {
    sid       = "PublishEvents"
    actions   = ["events:PutEvents"]
    resources = ["${local.arn_prefix}:events:${local.in_region}:event-bus/${each.value.children}"]
  }

  statement {
    sid       = "FunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/lambda/${each.value.children}"]
  }

  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  # API Gateway's account-wide logging role (REST option, AmazonAPIGatewayPushToCloudWatchLogs):
  # it writes the execution and access logs of every REST API in the region.
  statement {
    sid = "ApiGatewayLogging"
    actions = [
      "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents",
      "logs:GetLogEvents", "logs:FilterLogEvents",
    ]
    resources = [
      "${local.arn_prefix}:logs:${local.in_region}:log-group:API-Gateway-Execution-Logs_*",
      "${local.arn_prefix}:logs:${local.in_region}:log-group:/aws/apigateway/*",
    ]
  }

  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "stage_boundary" {
  for_each = local.stages

  name        = "${var.name}-boundary-${each.key}"
  description = "Permissions boundary of every role a ${each.key} stage (${each.value.name}) creates."
  policy      = data.aws_iam_policy_document.stage_boundary[each.key].json
}
