# Option: a custom domain for the HTTP API (var.custom_domain_name, off by default): an ACM
# certificate validated through Route 53, a regional domain with TLS 1.2, the API mapping and an
# alias record.

locals {
  custom_domain_enabled = var.custom_domain_name != null
}

resource "aws_acm_certificate" "api" {
  count = local.custom_domain_enabled ? 1 : 0

  domain_name       = var.custom_domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.route53_zone_id != null
      error_message = "custom_domain_name needs route53_zone_id: the hosted zone that validates the certificate and holds the alias record."
    }
  }
}

# One record: the certificate names one domain and no alternative names.
resource "aws_route53_record" "certificate_validation" {
  count = local.custom_domain_enabled ? 1 : 0

  zone_id         = var.route53_zone_id
  name            = one(aws_acm_certificate.api[0].domain_validation_options).resource_record_name
  type            = one(aws_acm_certificate.api[0].domain_validation_options).resource_record_type
  records         = [one(aws_acm_certificate.api[0].domain_validation_options).resource_record_value]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "api" {
  count = local.custom_domain_enabled ? 1 : 0

  certificate_arn         = aws_acm_certificate.api[0].arn
  validation_record_fqdns = aws_route53_record.certificate_validation[*].fqdn
}

resource "aws_apigatewayv2_domain_name" "api" {
  count = local.custom_domain_enabled ? 1 : 0

  domain_name = var.custom_domain_name

  domain_name_configuration {
    certificate_arn = aws_acm_certificate_validation.api[0].certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "api" {
  count = local.custom_domain_enabled ? 1 : 0

  api_id      = aws_apigatewayv2_api.http.id
  domain_name = aws_apigatewayv2_domain_name.api[0].id
  stage       = aws_apigatewayv2_stage.default.id
}

resource "aws_route53_record" "api" {
  count = local.custom_domain_enabled ? 1 : 0

  zone_id = var.route53_zone_id
  name    = aws_apigatewayv2_domain_name.api[0].domain_name
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}
