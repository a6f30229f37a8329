"""The offline Terraform checks pass on this repository, and each fails on a copy broken in
the way it exists to catch.

    .tools/hcl2/bin/python -m unittest discover -s infra/tests -t infra/tests
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import terraform_checks as checks

REPO = Path(__file__).resolve().parents[2]

# What the checks read: the route list, the workspace, the function crates' manifests, the
# Rust table design and configuration, and the Terraform.
CHECKED_FILES = [
    "routes.json",
    "Cargo.toml",
    "adapters/dynamodb/src/table_design.rs",
    "adapters/apigateway/src/config.rs",
    "infra/bootstrap/tests/deploy_policy.tftest.hcl",
]


class RepositoryCopy:
    """A copy of the files the checks read, to break one thing in."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory()
        self.root = Path(self._directory.name)
        for name in CHECKED_FILES:
            self._copy(REPO / name)
        for manifest in (REPO / "functions").glob("*/Cargo.toml"):
            self._copy(manifest)
        for path in (REPO / "infra").glob("*.tf"):
            self._copy(path)
        for path in (REPO / "infra").glob("**/*.tfvars"):
            self._copy(path)
        # The generated REST models, and the adapters' sources (where the metrics are named).
        for path in (REPO / "infra").glob("*.json"):
            self._copy(path)
        for path in (REPO / "adapters").glob("*/src/**/*.rs"):
            self._copy(path)

    def _copy(self, source: Path) -> None:
        target = self.root / source.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)

    def replace(self, name: str, old: str, new: str) -> None:
        """Replaces text that must be there: a test whose edit no longer applies fails."""
        path = self.root / name
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise AssertionError(f"{name} no longer contains {old!r}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, name: str, text: str) -> None:
        path = self.root / name
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    def edit_routes(self, edit) -> None:
        self.edit_routes_file(lambda routes: edit(routes["routes"]))

    def edit_routes_file(self, edit) -> None:
        path = self.root / "routes.json"
        routes = json.loads(path.read_text(encoding="utf-8"))
        edit(routes)
        path.write_text(json.dumps(routes, indent=2), encoding="utf-8")

    def add_function_crate(self, name: str) -> None:
        crate = self.root / "functions" / name
        crate.mkdir(parents=True)
        (crate / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n', encoding="utf-8")
        # The workspace takes every crate under functions/ as a member (`functions/*`).

    def problems(self) -> list[str]:
        return checks.run_all(self.root)

    def close(self) -> None:
        self._directory.cleanup()


class CheckTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.copy = RepositoryCopy()
        self.addCleanup(self.copy.close)

    def assertProblem(self, fragment: str) -> None:
        problems = self.copy.problems()
        self.assertTrue(
            any(fragment in problem for problem in problems),
            f"expected a problem containing {fragment!r}, got {problems}",
        )


class TheRepository(unittest.TestCase):
    def test_passes_every_check(self) -> None:
        self.assertEqual(checks.run_all(REPO), [])

    def test_an_unchanged_copy_passes_too(self) -> None:
        copy = RepositoryCopy()
        self.addCleanup(copy.close)
        self.assertEqual(copy.problems(), [])


class Parsing(CheckTestCase):
    def test_a_file_that_does_not_parse_is_reported(self) -> None:
        self.copy.append("infra/outputs.tf", '\noutput "broken" {\n  value = [1, 2\n}\n')
        self.assertProblem("outputs.tf: does not parse")


class Format(unittest.TestCase):
    def test_aligned_attributes_nested_blocks_and_multi_line_values_pass(self) -> None:
        text = (
            'resource "aws_x" "y" {\n'
            "  name        = var.name\n"
            '  description = "a = b {"\n'
            "  tags = merge(var.tags, {\n"
            '    role = "api"\n'
            "  })\n"
            "\n"
            "  # A comment ends an alignment run.\n"
            "  a = 1\n"
            "\n"
            "  setting {\n"
            "    enabled = true\n"
            "  }\n"
            "}\n"
        )
        self.assertEqual(checks.check_format("x.tf", text), [])

    def test_a_misaligned_equals_sign_is_reported(self) -> None:
        text = 'resource "aws_x" "y" {\n  name = var.name\n  description = "d"\n}\n'
        problems = checks.check_format("x.tf", text)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("x.tf:2: `=` at column 8, terraform fmt aligns it at column 15", problems[0])

    def test_wrong_indentation_is_reported(self) -> None:
        text = 'resource "aws_x" "y" {\n   name = var.name\n  tags = {\n  a = 1\n  }\n}\n'
        problems = checks.check_format("x.tf", text)
        self.assertIn("x.tf:2: indented 3 spaces, terraform fmt indents 2", problems)
        self.assertIn("x.tf:4: indented 2 spaces, terraform fmt indents 4", problems)

    def test_tabs_trailing_spaces_and_a_missing_final_newline_are_reported(self) -> None:
        problems = checks.check_format("x.tf", 'locals {\n\ta = 1 \n}')
        self.assertTrue(any("tabs" in p for p in problems), problems)
        self.assertTrue(any("trailing whitespace" in p for p in problems), problems)
        self.assertTrue(any("newline" in p for p in problems), problems)

    def test_the_repository_files_are_formatted(self) -> None:
        copy = RepositoryCopy()
        self.addCleanup(copy.close)
        copy.replace("infra/dynamodb.tf", '  billing_mode                = "PAY_PER_REQUEST"', '  billing_mode = "PAY_PER_REQUEST"')
        self.assertTrue(any("dynamodb.tf" in p and "column" in p for p in copy.problems()))


class Consistency(CheckTestCase):
    def test_a_function_crate_without_a_route_fails(self) -> None:
        self.copy.add_function_crate("archive-item")
        self.assertProblem("function crate functions/archive-item has no route in routes.json")

    def test_a_stream_function_without_a_crate_fails(self) -> None:
        self.copy.edit_routes_file(lambda file: file["streams"].append({"function": "index-items", "table": "items_table"}))
        self.assertProblem("stream function index-items has no crate functions/index-items")

    def test_a_stream_function_outside_the_one_function_definition_fails(self) -> None:
        self.copy.replace("infra/functions.tf", "functions = merge(local.route_functions, local.stream_function_definitions)", "functions = local.route_functions")
        self.assertProblem("every function from one definition")

    def test_a_function_resource_not_over_every_function_fails(self) -> None:
        self.copy.replace("infra/functions.tf", 'resource "aws_iam_role" "function" {\n  for_each = local.functions', 'resource "aws_iam_role" "function" {\n  for_each = local.routes')
        self.assertProblem("no aws_iam_role with for_each = local.functions")

    def test_a_table_stream_without_the_old_and_new_images_fails(self) -> None:
        self.copy.replace("infra/dynamodb.tf", '"NEW_AND_OLD_IMAGES"', '"NEW_IMAGE"')
        self.assertProblem("stream_view_type = 'NEW_AND_OLD_IMAGES'")

    def test_a_stream_mapping_without_partial_batch_responses_fails(self) -> None:
        self.copy.replace("infra/events.tf", '["ReportBatchItemFailures"]', '[]')
        self.assertProblem("ReportBatchItemFailures")

    def test_a_route_without_a_function_crate_fails(self) -> None:
        self.copy.edit_routes(lambda routes: routes.append({
            "route_key": "POST /items/{id}/archive",
            "function": "archive-item",
            "use_case": "replace",
            "dynamodb": {"items_table": ["dynamodb:GetItem", "dynamodb:PutItem"]},
        }))
        self.assertProblem("names function archive-item, but there is no crate functions/archive-item")

    def test_a_grant_on_a_resource_the_table_design_does_not_know_fails(self) -> None:
        def grant_elsewhere(routes):
            next(r for r in routes if r["function"] == "get-item")["dynamodb"]["audit_table"] = ["dynamodb:GetItem"]
        self.copy.edit_routes(grant_elsewhere)
        self.assertProblem("get-item: audit_table is not a resource the table design knows")

    def test_a_managed_policy_on_a_function_role_fails(self) -> None:
        self.copy.append("infra/functions.tf", (
            '\nresource "aws_iam_role_policy_attachment" "full" {\n'
            "  for_each = local.routes\n\n"
            "  role       = aws_iam_role.function[each.key].name\n"
            '  policy_arn = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"\n'
            "}\n"
        ))
        self.assertProblem("function roles take only their inline least-privilege policy")

    def test_a_key_name_differing_from_the_adapter_fails(self) -> None:
        self.copy.replace("infra/dynamodb.tf", 'hash_key                    = "id"', 'hash_key                    = "item_id"')
        self.assertProblem("aws_dynamodb_table.items: hash_key 'item_id', table_design.rs 'id'")

    def test_an_adapter_key_differing_from_the_terraform_fails(self) -> None:
        self.copy.replace("adapters/dynamodb/src/table_design.rs", 'IDEMPOTENCY_KEY: &str = "scope"', 'IDEMPOTENCY_KEY: &str = "key"')
        self.assertProblem("aws_dynamodb_table.idempotency: hash_key 'scope', table_design.rs 'key'")

    def test_an_index_differing_from_the_adapter_fails(self) -> None:
        self.copy.replace("infra/dynamodb.tf", 'range_key       = "created_at"', 'range_key       = "updated_at"')
        self.assertProblem("aws_dynamodb_table.items: indexes")

    def test_a_key_type_differing_from_the_adapter_fails(self) -> None:
        self.copy.replace("infra/dynamodb.tf", '    name = "created_at"\n    type = "S"', '    name = "created_at"\n    type = "N"')
        self.assertProblem("aws_dynamodb_table.items: attributes")

    def test_a_ttl_attribute_differing_from_the_adapter_fails(self) -> None:
        self.copy.replace("infra/dynamodb.tf", 'attribute_name = "expires_at"', 'attribute_name = "ttl"')
        self.assertProblem("aws_dynamodb_table.idempotency: TTL attribute 'ttl', table_design.rs 'expires_at'")

    def test_a_table_variable_the_adapter_does_not_read_fails(self) -> None:
        self.copy.replace("adapters/apigateway/src/config.rs", 'ITEMS_TABLE_ENV: &str = "ITEMS_TABLE"', 'ITEMS_TABLE_ENV: &str = "ITEMS_TABLE_NAME"')
        self.assertProblem("ITEMS_TABLE_NAME (read by items-apigateway) must be aws_dynamodb_table.items.name")

    def test_routes_not_read_from_routes_json_fail(self) -> None:
        self.copy.replace("infra/main.tf", 'file("${path.module}/../routes.json")', 'file("${path.module}/routes.json")')
        self.assertProblem("no local reads")

    def test_a_hard_coded_route_not_in_routes_json_fails(self) -> None:
        self.copy.append("infra/http_api.tf", (
            '\nresource "aws_apigatewayv2_route" "extra" {\n'
            "  api_id             = aws_apigatewayv2_api.http.id\n"
            '  route_key          = "GET /health"\n'
            '  target             = "integrations/${aws_apigatewayv2_integration.function["get-item"].id}"\n'
            '  authorization_type = "JWT"\n'
            "  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id\n"
            "}\n"
        ))
        self.assertProblem("aws_apigatewayv2_route GET /health is not in routes.json")

    def test_a_route_without_the_authorizer_fails(self) -> None:
        self.copy.replace("infra/http_api.tf", 'authorization_type = "JWT"', 'authorization_type = "NONE"')
        self.assertProblem("routes must use the JWT authorizer")

    def test_deletion_protection_off_by_default_fails(self) -> None:
        self.copy.replace(
            "infra/variables.tf",
            'description = "DynamoDB deletion protection. Set false (and apply) before terraform destroy."\n'
            "  type        = bool\n  default     = true",
            'description = "DynamoDB deletion protection. Set false (and apply) before terraform destroy."\n'
            "  type        = bool\n  default     = false",
        )
        self.assertProblem("deletion protection must be on by default")


if __name__ == "__main__":
    unittest.main()


class DeployPolicyCoverage(CheckTestCase):
    def test_a_resource_type_the_deploy_policy_test_does_not_list_fails(self) -> None:
        self.copy.append("infra/events.tf", '\nresource "aws_sqs_queue_policy" "extra" {\n  queue_url = "x"\n  policy    = "{}"\n}\n')
        self.assertProblem("aws_sqs_queue_policy is created or read by the stage")

    def test_a_data_source_the_deploy_policy_test_does_not_list_fails(self) -> None:
        for _ in range(2):  # its list and get calls
            self.copy.replace("infra/bootstrap/tests/deploy_policy.tftest.hcl", 'type = "aws_cloudfront_origin_request_policy"', 'type = "removed"')
        self.assertProblem("aws_cloudfront_origin_request_policy is created or read by the stage")
