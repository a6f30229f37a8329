# Option: a CloudFront distribution in front of the HTTP API or the REST stage
# (var.cloudfront_enabled, off by default): TLS at the edge, a place to attach an AWS WAF web ACL
# (var.cloudfront_web_acl_arn; the HTTP API cannot take one itself), and caching of only what is
# safe to cache.
#
# What is cached: nothing but GET and HEAD answers of the list route, and only with
# var.cloudfront_list_cache_ttl_seconds above 0. Its cache key holds the caller's Authorization
# header and API key and every query parameter, so a cached page is only ever served to the
# caller whose token fetched it, for the same query. Error answers are never cached (an error
# caching TTL of 0 for every status CloudFront would otherwise keep). Every other route and
# method goes to the origin each time, with every header but Host (API Gateway routes by its own
# host name).

locals {
  cloudfront_caches = var.cloudfront_enabled && var.cloudfront_list_cache_ttl_seconds > 0

  # The list route's path, from routes.json.
  cloudfront_list_paths = distinct([for route in local.routes : route.path if route.use_case == "list"])

  # The origin: the HTTP API's endpoint, or the REST stage's URL (its path is the stage).
  cloudfront_origin_url    = coalesce(var.cloudfront_origin == "rest" ? one(aws_api_gateway_stage.rest[*].invoke_url) : aws_apigatewayv2_api.http.api_endpoint, "https://rest-api-not-enabled.invalid")
  cloudfront_origin_domain = split("/", trimprefix(local.cloudfront_origin_url, "https://"))[0]
  cloudfront_origin_path   = trimsuffix(trimprefix(trimprefix(local.cloudfront_origin_url, "https://"), local.cloudfront_origin_domain), "/")

  # The statuses CloudFront caches by default (for 10 s) when an origin answers them.
  cloudfront_error_statuses = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]
}

data "aws_cloudfront_cache_policy" "caching_disabled" {
  count = var.cloudfront_enabled ? 1 : 0

  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  count = var.cloudfront_enabled ? 1 : 0

  name = "Managed-AllViewerExceptHostHeader"
}

data "aws_cloudfront_response_headers_policy" "security_headers" {
  count = var.cloudfront_enabled ? 1 : 0

  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_cache_policy" "list" {
  count = local.cloudfront_caches ? 1 : 0

  name        = "${var.name}-list"
  comment     = "The list route: per caller (Authorization, x-api-key) and per query."
  min_ttl     = 0
  default_ttl = var.cloudfront_list_cache_ttl_seconds
  max_ttl     = var.cloudfront_list_cache_ttl_seconds

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    headers_config {
      header_behavior = "whitelist"

      headers {
        items = ["Authorization", "x-api-key"]
      }
    }

    query_strings_config {
      query_string_behavior = "all"
    }

    cookies_config {
      cookie_behavior = "none"
    }
  }
}

resource "aws_cloudfront_distribution" "api" {
  #checkov:skip=CKV_AWS_68:The web ACL is var.cloudfront_web_acl_arn (null by default: a web ACL is an account-level choice with its own cost); the API's own throttling bounds abuse without one.
  #checkov:skip=CKV2_AWS_47:Which managed rule groups a web ACL holds (Log4j's included) is decided where the web ACL is made; this configuration only attaches it.
  #checkov:skip=CKV_AWS_86:API Gateway's access log (one JSON line per request, with the caller's IP) already records every request that is not served from the cache; CloudFront standard logs would need an S3 bucket with ACLs.
  #checkov:skip=CKV_AWS_174:The distribution uses CloudFront's own certificate (*.cloudfront.net), for which CloudFront fixes the TLS policy; a custom domain on the distribution would set TLSv1.2_2021.
  #checkov:skip=CKV2_AWS_42:A custom certificate needs an alias domain and an ACM certificate in us-east-1; the API's own custom domain (custom_domain.tf) is the place for a branded name.
  #checkov:skip=CKV_AWS_310:One regional API is the only origin; a failover origin would be a second deployment in another region.
  #checkov:skip=CKV_AWS_305:An API has no root document: GET / is not a route.
  #checkov:skip=CKV_AWS_374:Geo restriction is a business decision, not a default: the API serves whoever holds a token.
  count = var.cloudfront_enabled ? 1 : 0

  enabled         = true
  comment         = "Items API (${var.cloudfront_origin} origin)."
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.cloudfront_price_class
  web_acl_id      = var.cloudfront_web_acl_arn

  origin {
    origin_id   = "api"
    domain_name = local.cloudfront_origin_domain
    origin_path = local.cloudfront_origin_path

    custom_origin_config {
      http_port                = 80
      https_port               = 443
      origin_protocol_policy   = "https-only"
      origin_ssl_protocols     = ["TLSv1.2"]
      origin_read_timeout      = 30
      origin_keepalive_timeout = 5
    }
  }

  default_cache_behavior {
    target_origin_id           = "api"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
    compress                   = true
  }

  # The list route's path (POST on the same path passes through: CloudFront never caches it).
  dynamic "ordered_cache_behavior" {
    for_each = local.cloudfront_caches ? local.cloudfront_list_paths : []

    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = "api"
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods             = ["GET", "HEAD"]
      cache_policy_id            = aws_cloudfront_cache_policy.list[0].id
      origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
      compress                   = true
    }
  }

  # Only successful answers are cached: an error is passed on once and asked for again.
  dynamic "custom_error_response" {
    for_each = local.cloudfront_error_statuses

    content {
      error_code            = custom_error_response.value
      error_caching_min_ttl = 0
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  lifecycle {
    precondition {
      condition     = var.cloudfront_origin == "http" || var.rest_api_enabled
      error_message = "cloudfront_origin = \"rest\" needs rest_api_enabled = true."
    }
  }
}
