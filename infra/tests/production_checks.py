"""Consistency checks of the production settings in infra/: what the dashboard, the alarms, the
REST API's models and throttles, CloudFront's caching, Cognito and the functions' logging must
keep agreeing on with routes.json, openapi.yaml's generated models and the Rust code.

Called by terraform_checks.run_all; each check's failure names the file to fix.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from terraform_checks import TerraformFile, _compact, _Terraform, table_design_from_rust

# The statuses CloudFront caches unless told otherwise (its default error caching).
_CLOUDFRONT_CACHED_ERRORS = {400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}


def _route_keys(repo: Path) -> set[str]:
    routes = json.loads((repo / "routes.json").read_text(encoding="utf-8")).get("routes", [])
    return {route.get("route_key") for route in routes}


def check_production(repo: Path, files: list[TerraformFile]) -> list[str]:
    """Every problem of the production settings' consistency."""
    tf = _Terraform(files)
    problems: list[str] = []
    route_keys = _route_keys(repo)

    # The dashboard has a row per route of routes.json, and counts cold starts in the namespace
    # and under the name the functions write them with.
    rows = _compact(tf.locals.get("dashboard_route_rows", ""))
    if not rows.startswith("${[forfunction,routeinlocal.routes:"):
        problems.append("infra: local.dashboard_route_rows must be one row per route: [for function, route in local.routes : ...]")
    adapter_sources = "".join(path.read_text(encoding="utf-8") for path in sorted((repo / "adapters").glob("*/src/**/*.rs")))
    namespace = re.search(r'pub const NAMESPACE: &str = "([^"]+)";', adapter_sources)
    if namespace is None:
        problems.append("adapters: the EMF metrics NAMESPACE constant was not found")
    elif tf.locals.get("metrics_namespace") != namespace.group(1):
        problems.append(f"infra: local.metrics_namespace is {tf.locals.get('metrics_namespace')!r}, the functions write EMF metrics to {namespace.group(1)!r}")
    emitted = set(re.findall(r'\.count\("(\w+)",', adapter_sources))
    for metric in sorted(set(re.findall(r"local\.metrics_namespace,\"(\w+)\"", rows))):
        if metric not in emitted:
            problems.append(f"infra: the dashboard charts {metric}, which no function writes (the adapters write {sorted(emitted)})")
    try:
        _, resource_names = table_design_from_rust(repo)
    except (ValueError, AttributeError, KeyError) as error:
        return problems + [f"cannot read the table design from the Rust source: {error}"]
    tables_of = tf.locals.get("dynamodb_table_of_resource")
    if not isinstance(tables_of, dict) or set(tables_of) != set(resource_names.values()):
        problems.append(f"infra: local.dynamodb_table_of_resource must name every resource of the table design: {sorted(resource_names.values())}")

    # Every alarm is an entry of local.alarms, deployed by one resource.
    alarm_resources = tf.of_type("aws_cloudwatch_metric_alarm")
    if sorted(alarm_resources) != ["alarm"] or alarm_resources["alarm"].get("for_each") != "${local.alarms}":
        problems.append(f"infra: alarms are entries of local.alarms, deployed by one aws_cloudwatch_metric_alarm.alarm (for_each = local.alarms); found {sorted(alarm_resources)}")

    # Every alarm notifies the alarm topic, when it fires and when it clears.
    for name, alarm in tf.of_type("aws_cloudwatch_metric_alarm").items():
        for actions in ("alarm_actions", "ok_actions"):
            if _compact(alarm.get(actions)) != "${local.alarm_topic_arns}":
                problems.append(f"infra: aws_cloudwatch_metric_alarm.{name}: {actions} must be local.alarm_topic_arns (the SNS topic)")

    # The REST API's body models come from openapi.yaml's generated file, for routes that exist.
    models_path = repo / "infra/rest_models.json"
    try:
        models = json.loads(models_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problems.append(f"infra/rest_models.json: cannot be read ({error}); generate it with UPDATE_REST_MODELS=1 cargo test -p items-e2e --test rest_models")
        models = {}
    bodies = models.get("request_bodies", {})
    for route_key, model in sorted(bodies.items()):
        if route_key not in route_keys:
            problems.append(f"infra/rest_models.json: {route_key} has a body model but is not a route of routes.json")
        if model not in models.get("models", {}):
            problems.append(f"infra/rest_models.json: {route_key} names the model {model}, which the file does not hold")
    if models and not bodies:
        problems.append("infra/rest_models.json: no route has a body model")
    if "rest_models.json" not in _compact(tf.locals.get("rest_models_file", "")):
        problems.append("infra: local.rest_models_file must read rest_models.json (the models generated from openapi.yaml)")

    # Per-method throttles name routes that exist.
    throttles = tf.variables.get("rest_method_throttles", {}).get("default", {})
    for route_key in sorted(set(throttles) - route_keys):
        problems.append(f"infra: variable rest_method_throttles: {route_key} is not a route of routes.json")

    # CloudFront: a cache that keeps answers keys them by the caller, and no error is cached.
    for name, policy in tf.of_type("aws_cloudfront_cache_policy").items():
        if policy.get("max_ttl") == 0:
            continue
        parameters = (policy.get("parameters_in_cache_key_and_forwarded_to_origin") or [{}])[0]
        headers = (parameters.get("headers_config") or [{}])[0]
        listed = {h.lower() for block in headers.get("headers", []) for h in block.get("items", [])}
        if "authorization" not in listed:
            problems.append(f"infra: aws_cloudfront_cache_policy.{name}: a cache must key on the Authorization header, or one caller's answer reaches another")
    for name, distribution in tf.of_type("aws_cloudfront_distribution").items():
        covered: set[int] = set()
        for dynamic in distribution.get("dynamic", []):
            block = dynamic.get("custom_error_response")
            if block and _compact((block.get("content") or [{}])[0].get("error_caching_min_ttl")) == "0":
                statuses = tf.resolve(block.get("for_each"))
                covered |= set(statuses) if isinstance(statuses, list) else set()
        for block in distribution.get("custom_error_response", []):
            if block.get("error_caching_min_ttl") == 0:
                covered.add(block.get("error_code"))
        missing = _CLOUDFRONT_CACHED_ERRORS - covered
        if missing:
            problems.append(f"infra: aws_cloudfront_distribution.{name}: error answers {sorted(missing)} would be cached; give each an error_caching_min_ttl of 0")

    # The REST authorizer accepts tokens of any client of the pool: the pool has exactly one.
    clients = [name for name, body in tf.of_type("aws_cognito_user_pool_client").items()
               if "aws_cognito_user_pool.users" in _compact(body.get("user_pool_id"))]
    if len(clients) != 1:
        problems.append(f"infra: the user pool must have exactly one app client (the REST API's Cognito authorizer accepts any client's tokens), found {clients}")

    # Lambda's JSON log filter follows RUST_LOG; every log group has a retention.
    for name, function in tf.of_type("aws_lambda_function").items():
        for logging in function.get("logging_config", []):
            if logging.get("log_format") == "JSON" and logging.get("application_log_level") != "${local.lambda_application_log_level}":
                problems.append(f"infra: aws_lambda_function.{name}: application_log_level must be local.lambda_application_log_level, or Lambda drops lines RUST_LOG asks for")
    for name, group in tf.of_type("aws_cloudwatch_log_group").items():
        if "retention_in_days" not in group:
            problems.append(f"infra: aws_cloudwatch_log_group.{name} has no retention: its logs would be kept (and billed) forever")
    return problems
