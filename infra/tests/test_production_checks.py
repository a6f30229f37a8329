"""The production settings' consistency checks pass on this repository, and each fails on a copy
broken in the way it exists to catch.

    .tools/hcl2/bin/python -m unittest discover -s infra/tests -t infra/tests
"""

from __future__ import annotations

import json
import unittest

import test_terraform_checks as base

# Where the driving adapter names its metrics' namespace.
METRICS_SOURCE = next(
    str(path.relative_to(base.REPO))
    for path in sorted((base.REPO / "adapters").glob("*/src/**/*.rs"))
    if 'NAMESPACE: &str = "' in path.read_text(encoding="utf-8")
)

class ProductionCheck(unittest.TestCase):
    def setUp(self) -> None:
        self.copy = base.RepositoryCopy()
        self.addCleanup(self.copy.close)

    def assertProblem(self, fragment: str) -> None:
        problems = self.copy.problems()
        self.assertTrue(
            any(fragment in problem for problem in problems),
            f"expected a problem containing {fragment!r}, got {problems}",
        )

    def test_an_unchanged_copy_passes(self) -> None:
        self.assertEqual(self.copy.problems(), [])

    def test_a_dashboard_not_per_route_fails(self) -> None:
        self.copy.replace("infra/dashboard.tf", "for function, route in local.routes : [", "for function, route in local.rest_routes : [")
        self.assertProblem("local.dashboard_route_rows must be one row per route")

    def test_a_metrics_namespace_the_functions_do_not_write_fails(self) -> None:
        self.copy.replace(METRICS_SOURCE, 'NAMESPACE: &str = "ItemsApi"', 'NAMESPACE: &str = "Items"')
        self.assertProblem("the functions write EMF metrics to 'Items'")

    def test_a_cold_start_metric_the_functions_do_not_write_fails(self) -> None:
        self.copy.replace("infra/dashboard.tf", '"ColdStart", "FunctionName"', '"ColdStarts", "FunctionName"')
        self.assertProblem("the dashboard charts ColdStarts, which no function writes")

    def test_a_table_resource_missing_from_the_dashboard_fails(self) -> None:
        self.copy.replace("infra/dashboard.tf", "    category_index    = aws_dynamodb_table.items.name\n", "")
        self.assertProblem("local.dynamodb_table_of_resource must name every resource")

    def test_an_alarm_not_wired_to_the_topic_fails(self) -> None:
        self.copy.replace("infra/alarms.tf", "  ok_actions          = local.alarm_topic_arns\n", "  ok_actions          = []\n")
        self.assertProblem("ok_actions must be local.alarm_topic_arns")

    def test_an_alarm_outside_the_one_alarm_definition_fails(self) -> None:
        self.copy.append("infra/alarms.tf", (
            '\nresource "aws_cloudwatch_metric_alarm" "extra" {\n'
            '  alarm_name          = "extra"\n'
            '  comparison_operator = "GreaterThanThreshold"\n'
            "  evaluation_periods  = 1\n"
            "  alarm_actions       = local.alarm_topic_arns\n"
            "  ok_actions          = local.alarm_topic_arns\n"
            "}\n"
        ))
        self.assertProblem("deployed by one aws_cloudwatch_metric_alarm.alarm")

    def test_a_body_model_for_a_route_that_does_not_exist_fails(self) -> None:
        path = self.copy.root / "infra/rest_models.json"
        models = json.loads(path.read_text(encoding="utf-8"))
        models["request_bodies"]["POST /items/{id}"] = "ItemInput"
        path.write_text(json.dumps(models), encoding="utf-8")
        self.assertProblem("POST /items/{id} has a body model but is not a route of routes.json")

    def test_a_throttle_for_a_route_that_does_not_exist_fails(self) -> None:
        self.copy.replace("infra/variables.tf", '"GET /items" = { rate_limit', '"GET /things" = { rate_limit')
        self.assertProblem("rest_method_throttles: GET /things is not a route of routes.json")

    def test_a_cloudfront_cache_not_keyed_by_the_caller_fails(self) -> None:
        self.copy.replace("infra/cloudfront.tf", 'items = ["Authorization", "x-api-key"]', 'items = ["x-api-key"]')
        self.assertProblem("a cache must key on the Authorization header")

    def test_cached_cloudfront_errors_fail(self) -> None:
        self.copy.replace("infra/cloudfront.tf", "[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]", "[400, 403, 404]")
        self.assertProblem("error answers [405, 414, 416, 500, 501, 502, 503, 504] would be cached")

    def test_a_second_app_client_fails(self) -> None:
        self.copy.append("infra/cognito.tf", (
            '\nresource "aws_cognito_user_pool_client" "partner" {\n'
            "  count = local.uses_managed_user_pool ? 1 : 0\n\n"
            '  name         = "partner"\n'
            "  user_pool_id = aws_cognito_user_pool.users[0].id\n"
            "}\n"
        ))
        self.assertProblem("the user pool must have exactly one app client")

    def test_a_lambda_log_filter_not_following_rust_log_fails(self) -> None:
        self.copy.replace("infra/functions.tf", "application_log_level = local.lambda_application_log_level", 'application_log_level = "INFO"')
        self.assertProblem("application_log_level must be local.lambda_application_log_level")

    def test_a_log_group_without_retention_fails(self) -> None:
        self.copy.replace(
            "infra/rest_api.tf",
            '  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.rest[0].id}/api"\n  retention_in_days = var.log_retention_days\n',
            '  name = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.rest[0].id}/api"\n',
        )
        self.assertProblem("aws_cloudwatch_log_group.rest_execution has no retention")


if __name__ == "__main__":
    unittest.main()
