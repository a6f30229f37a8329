"""Offline checks of the Terraform in infra/, for a machine where `terraform init` cannot run.

    python infra/tests/terraform_checks.py [REPOSITORY_ROOT]

Three checks, each reporting every problem it finds:

- format: the layout `terraform fmt` writes (2-space indentation by bracket depth, `=` aligned
  within runs of one-line attributes, one space after `=`, no tabs or trailing spaces);
- parsing: every file parses;
- consistency: the route list, the function crates of the workspace, the use cases' DynamoDB
  actions and the table definitions agree between routes.json, the Rust code and the Terraform.

What Terraform itself checks is left to it (scripts/check-infra runs it when it is installed):
references and argument names (`terraform validate`), and each function's IAM actions, routes,
integrations, permissions and options as planned (`terraform test`, infra/tests/plan.tftest.hcl).

Needs python-hcl2 (scripts/check-infra installs it into .tools/hcl2). Exits 1 on any problem.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from lark import Tree

# --------------------------------------------------------------------------------------------
# Parsing


@dataclass
class TerraformFile:
    """One parsed .tf file: its text, its syntax tree and its plain-data form."""

    path: Path
    text: str
    tree: Tree
    data: dict


_SERIALIZATION = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
# Parsing is the slow part; the tests parse the same texts many times.
_parsed: dict[str, tuple[Tree, dict]] = {}


def _parse(text: str) -> tuple[Tree, dict]:
    if text not in _parsed:
        tree = hcl2.parses_to_tree(text)
        data = hcl2.serialize(hcl2.transform(tree), serialization_options=_SERIALIZATION)
        _parsed[text] = (tree, data)
    return _parsed[text]


def parse_directory(directory: Path) -> tuple[list[TerraformFile], list[str]]:
    """Parses every .tf file of `directory`; returns the files and one problem per file that
    does not parse."""
    files, problems = [], []
    paths = sorted(directory.glob("*.tf"))
    if not paths:
        problems.append(f"{directory}: no .tf files")
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            tree, data = _parse(text)
        except Exception as error:  # python-hcl2 raises lark and its own error types
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            problems.append(f"{path.name}: does not parse: {type(error).__name__}: {first_line}")
            continue
        files.append(TerraformFile(path, text, tree, data))
    return files, problems


# --------------------------------------------------------------------------------------------
# Format


@dataclass
class _Line:
    number: int
    text: str
    tokens: list[tuple[str, str, int]]  # (kind, text, column); kinds: open close equal other
    heredoc_body: bool = False


def _tokenize_lines(text: str) -> list[_Line]:
    """Splits HCL into lines of bracket, `=` and other tokens, with strings, templates,
    comments and heredocs understood well enough to count brackets as hclwrite does."""
    lines = text.split("\n")
    result: list[_Line] = []
    # Mode stack: "code", "brace" (a `{` opened in code), "template" (`${`/`%{` in a string),
    # "string". Block comments and heredocs are tracked separately.
    stack = ["code"]
    in_block_comment = False
    heredoc_end: str | None = None
    for number, raw in enumerate(lines, start=1):
        line = _Line(number, raw, [])
        result.append(line)
        if heredoc_end is not None:
            line.heredoc_body = True
            if raw.strip() == heredoc_end:
                heredoc_end = None
            continue
        i = 0
        while i < len(raw):
            ch = raw[i]
            two = raw[i : i + 2]
            mode = stack[-1]
            if in_block_comment:
                if two == "*/":
                    in_block_comment = False
                    i += 2
                else:
                    i += 1
                continue
            if mode == "string":
                if ch == "\\":
                    i += 2
                elif two in ("$${", "%%{"):
                    i += 3
                elif two in ("${", "%{"):
                    line.tokens.append(("open", two, i))
                    stack.append("template")
                    i += 2
                elif ch == '"':
                    stack.pop()
                    i += 1
                else:
                    i += 1
                continue
            # Code, inside a brace or inside a template.
            if ch == "#" or two == "//":
                break
            if two == "/*":
                in_block_comment = True
                i += 2
                continue
            if ch == '"':
                stack.append("string")
                line.tokens.append(("other", '"', i))
                i += 1
                continue
            heredoc = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$", raw[i:])
            if heredoc:
                line.tokens.append(("other", "<<", i))
                heredoc_end = heredoc.group(1)
                break
            if ch in "{[(":
                line.tokens.append(("open", ch, i))
                if ch == "{":
                    stack.append("brace")
                i += 1
                continue
            if ch in "}])":
                line.tokens.append(("close", ch, i))
                if ch == "}" and len(stack) > 1:
                    stack.pop()
                i += 1
                continue
            if two in ("==", "=>", "!=", "<=", ">="):
                line.tokens.append(("other", two, i))
                i += 2
                continue
            if ch == "=":
                line.tokens.append(("equal", ch, i))
                i += 1
                continue
            if not ch.isspace():
                line.tokens.append(("other", ch, i))
            i += 1
    return result


def _net_brackets(tokens: list[tuple[str, str, int]]) -> int:
    return sum(1 if kind == "open" else -1 if kind == "close" else 0 for kind, _, _ in tokens)


def check_format(name: str, text: str) -> list[str]:
    """The problems `terraform fmt` would fix in `text`, as `name:line: message`."""
    problems = []
    if "\r" in text:
        problems.append(f"{name}: has carriage returns; use LF line ends")
    if "\t" in text:
        problems.append(f"{name}: has tabs; indent with spaces")
    if text and not text.endswith("\n"):
        problems.append(f"{name}: does not end with a newline")
    if text.endswith("\n\n"):
        problems.append(f"{name}: ends with blank lines")
    lines = _tokenize_lines(text)

    # Indentation: hclwrite's rule. A line opening more brackets than it closes indents the
    # following lines one level (however many it opened); closing lines outdent by the
    # levels they close, and are themselves at the outer level.
    indents: list[int] = []
    for line in lines:
        if line.heredoc_body:
            continue
        if line.text != line.text.rstrip():
            problems.append(f"{name}:{line.number}: trailing whitespace")
        stripped = line.text.strip()
        if not stripped:
            continue
        net = _net_brackets(line.tokens)
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        expected = 2 * len(indents)
        actual = len(line.text) - len(line.text.lstrip(" "))
        if actual != expected:
            problems.append(
                f"{name}:{line.number}: indented {actual} spaces, terraform fmt indents {expected}"
            )
        if net > 0:
            indents.append(net)

    # Alignment: hclwrite aligns `=` across a run of consecutive lines that each assign a
    # whole one-line value; a blank line, a comment line, a block line or a multi-line value
    # ends the run.
    def close_chain(chain: list[tuple[_Line, int, int]]) -> None:
        if not chain:
            return
        want = max(lead for _, lead, _ in chain) + 1
        for line, _, column in chain:
            if column != want:
                problems.append(
                    f"{name}:{line.number}: `=` at column {column + 1}, terraform fmt aligns it "
                    f"at column {want + 1}"
                )

    chain: list[tuple[_Line, int, int]] = []
    for line in lines:
        assign = None
        if not line.heredoc_body:
            for index, (kind, _, column) in enumerate(line.tokens):
                if kind == "equal" and index > 0:
                    if _net_brackets(line.tokens[index:]) == 0:
                        assign = column
                    else:
                        lead = len(line.text[:column].rstrip())
                        if column != lead + 1:
                            problems.append(
                                f"{name}:{line.number}: one space before `=` of a multi-line value"
                            )
                    after = line.text[column + 1 : column + 3]
                    if not (after.startswith(" ") and not after.startswith("  ")):
                        problems.append(f"{name}:{line.number}: one space after `=`")
                    break
        if assign is None:
            close_chain(chain)
            chain = []
        else:
            chain.append((line, len(line.text[:assign].rstrip()), assign))
    close_chain(chain)
    return problems


# --------------------------------------------------------------------------------------------
# Consistency with the code


def _compact(value) -> str:
    """An expression's text without whitespace, for comparisons."""
    return re.sub(r"\s+", "", value) if isinstance(value, str) else json.dumps(value)


def _rust_constants(source: str) -> dict[str, str]:
    return dict(re.findall(r'pub const (\w+): &str = "([^"]*)";', source))


def _rust_function_body(source: str, name: str) -> str:
    start = re.search(rf"fn {name}\b[^{{]*\{{", source)
    if not start:
        raise ValueError(f"fn {name} not found")
    depth, i = 1, start.end()
    while depth and i < len(source):
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        i += 1
    return source[start.end() : i - 1]


@dataclass
class TableDesign:
    """One table as the code or the Terraform defines it."""

    hash_key: str | None
    range_key: str | None
    attributes: dict[str, str]  # name -> type
    indexes: dict[str, tuple[str | None, str | None, str]]  # name -> (hash, range, projection)
    ttl_attribute: str | None


def table_design_from_rust(repo: Path) -> tuple[dict[str, TableDesign], dict[str, str]]:
    """The tables and the resource names that adapters/dynamodb/src/table_design.rs defines,
    read from its source: tables by `TableNames` field (`items`, `idempotency`). (Each route's
    permissions in routes.json are generated from the Rust route declaration and checked by
    the Rust test adapters/apigateway/tests/routes_file.rs.)"""
    source = (repo / "adapters/dynamodb/src/table_design.rs").read_text(encoding="utf-8")
    constants = _rust_constants(source)

    def const(name: str) -> str:
        if name not in constants:
            raise ValueError(f"table_design.rs: constant {name} not found")
        return constants[name]

    # Resource enum variant -> name used in routes.json and the Terraform.
    resource_names = dict(re.findall(r'Resource::(\w+) => "(\w+)"', _rust_function_body(source, "name")))
    if not resource_names:
        raise ValueError("table_design.rs: Resource::name has no arms")

    # Operation -> [(resource name, action)].
    permissions_body = _rust_function_body(source, "permissions")
    operation_arms = re.split(r"Operation::(\w+)\s*=>", permissions_body)[1:]
    operations = {}
    for operation, arm in zip(operation_arms[::2], operation_arms[1::2]):
        pairs = re.findall(r'\((\w+),\s*"([^"]+)"\)', arm)
        operations[operation] = [(resource_names[variant], action) for variant, action in pairs]
    if not operations:
        raise ValueError("table_design.rs: permissions() has no arms")
    # Tables: each `create_table()` chain names its table, keys and attributes.
    body = _rust_function_body(source, "create_tables")

    def key_schema(text: str) -> tuple[str | None, str | None]:
        keys = dict((kind, const(name)) for name, kind in re.findall(r"key\((\w+),\s*KeyType::(\w+)\)", text))
        return keys.get("Hash"), keys.get("Range")

    indexes = {}
    for builder in re.findall(r"GlobalSecondaryIndex::builder\(\)(.*?)\.build\(\)\s*\.map_err", body, re.S):
        index_name = const(re.search(r"\.index_name\((\w+)\)", builder).group(1))
        projection = re.search(r"ProjectionType::(\w+)", builder).group(1).upper()
        indexes[index_name] = (*key_schema(builder), projection)
    tables = {}
    for chain in re.findall(r"\.create_table\(\)(.*?)\.send\(\)", body, re.S):
        table = re.search(r"\.table_name\(&names\.(\w+)\)", chain).group(1)
        hash_key, range_key = key_schema(chain)
        attributes = {const(name): "S" for name in re.findall(r"string_attribute\((\w+)\)", chain)}
        if re.search(r"attribute_definitions\((?!string_attribute)", chain):
            raise ValueError(f"table_design.rs: {table} has an attribute definition this check cannot read")
        table_indexes = {}
        if ".global_secondary_indexes(" in chain:
            table_indexes = indexes
        tables[table] = TableDesign(hash_key, range_key, attributes, table_indexes, None)
    ttl = re.search(
        r"update_time_to_live\(\)\s*\.table_name\(&names\.(\w+)\).*?\.attribute_name\((\w+)\)", body, re.S
    )
    if ttl:
        tables[ttl.group(1)].ttl_attribute = const(ttl.group(2))
    if set(tables) != {"items", "idempotency"}:
        raise ValueError(f"table_design.rs: expected the items and idempotency tables, found {sorted(tables)}")
    return tables, resource_names


class _Terraform:
    """Look-ups in the plain-data form of all .tf files."""

    def __init__(self, files: list[TerraformFile]):
        self.resources: dict[tuple[str, str], dict] = {}
        self.data: dict[tuple[str, str], dict] = {}
        self.locals: dict[str, object] = {}
        self.variables: dict[str, dict] = {}
        for file in files:
            for entry in file.data.get("resource", []):
                for kind, named in entry.items():
                    for name, body in named.items():
                        self.resources[(kind, name)] = body
            for entry in file.data.get("data", []):
                for kind, named in entry.items():
                    for name, body in named.items():
                        self.data[(kind, name)] = body
            for entry in file.data.get("locals", []):
                self.locals.update(entry)
            for entry in file.data.get("variable", []):
                self.variables.update(entry)

    def of_type(self, kind: str) -> dict[str, dict]:
        return {name: body for (k, name), body in self.resources.items() if k == kind}

    def resolve(self, value):
        """A literal, or the literal a `${local.name}` stands for."""
        if isinstance(value, str):
            match = re.fullmatch(r"\$\{local\.(\w+)\}", value)
            if match and match.group(1) in self.locals:
                return self.resolve(self.locals[match.group(1)])
        return value


def _reference(value) -> str | None:
    """`aws_dynamodb_table.items` for `${aws_dynamodb_table.items.arn}` and the like."""
    if isinstance(value, str):
        match = re.fullmatch(r"\$\{(\w+\.\w+)(?:\[[^\]]*\])?\.\w+\}", _compact(value))
        if match:
            return match.group(1)
    return None


def _check_streams(repo: Path, tf: "_Terraform", stream_functions: set[str]) -> list[str]:
    """The change feed: the items table streams the view the adapter reads, and the stream
    functions are fed with partial batch responses, bisecting, bounded retries and an
    on-failure destination."""
    problems: list[str] = []
    if not stream_functions:
        return problems
    source = (repo / "adapters/dynamodb/src/table_design.rs").read_text(encoding="utf-8")
    view = _rust_constants(source).get("ITEMS_STREAM_VIEW_TYPE")
    table = tf.resources.get(("aws_dynamodb_table", "items"), {})
    if table.get("stream_enabled") is not True or table.get("stream_view_type") != view:
        problems.append(f"infra: the items table must have stream_enabled = true and stream_view_type = {view!r} (table_design.rs ITEMS_STREAM_VIEW_TYPE)")
    mappings = tf.of_type("aws_lambda_event_source_mapping")
    mapping = next((m for m in mappings.values() if m.get("for_each") == "${local.stream_functions}"), None)
    if mapping is None:
        problems.append("infra: no aws_lambda_event_source_mapping feeds the stream functions")
        return problems
    if "ReportBatchItemFailures" not in (mapping.get("function_response_types") or []):
        problems.append("infra: the stream's event source mapping must set function_response_types = [\"ReportBatchItemFailures\"]")
    if mapping.get("bisect_batch_on_function_error") is not True:
        problems.append("infra: the stream's event source mapping must bisect batches on function errors")
    for bound in ("maximum_retry_attempts", "maximum_record_age_in_seconds"):
        if bound not in mapping:
            problems.append(f"infra: the stream's event source mapping must set {bound}")
    if "on_failure" not in str(mapping.get("destination_config", "")):
        problems.append("infra: the stream's event source mapping needs an on-failure destination")
    return problems


def check_consistency(repo: Path, files: list[TerraformFile]) -> list[str]:
    """Problems where routes.json, the workspace's function crates, the Rust table design and
    permissions, and the Terraform disagree."""
    problems: list[str] = []
    routes_file = json.loads((repo / "routes.json").read_text(encoding="utf-8"))
    routes = routes_file.get("routes", [])
    tf = _Terraform(files)
    try:
        tables, resource_names = table_design_from_rust(repo)
    except (ValueError, AttributeError, KeyError) as error:
        return [f"cannot read the table design from the Rust source: {error}"]
    known_resources = set(resource_names.values())

    # routes.json itself, and what the code needs.
    functions: dict[str, dict] = {}
    route_keys: set[str] = set()
    for route in routes:
        function, route_key = route.get("function"), route.get("route_key", "")
        if not re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*", route_key):
            problems.append(f"routes.json: {function}: route_key {route_key!r} is not 'METHOD /path'")
        if function in functions:
            problems.append(f"routes.json: function {function} serves two routes")
        if route_key in route_keys:
            problems.append(f"routes.json: route {route_key} is listed twice")
        functions[function] = route
        route_keys.add(route_key)
        granted = {resource: set(actions) for resource, actions in route.get("dynamodb", {}).items()}
        for resource in set(granted) - known_resources:
            problems.append(f"routes.json: {function}: {resource} is not a resource the table design knows")

    # Function crates: one per route, each a workspace member, and no other.
    workspace = tomllib.loads((repo / "Cargo.toml").read_text(encoding="utf-8"))
    members = workspace.get("workspace", {}).get("members", [])
    crate_dirs = {p.parent.name for p in (repo / "functions").glob("*/Cargo.toml")}
    member_functions = {m.split("/", 1)[1] for m in members if m.startswith("functions/")}
    if "*" in member_functions:
        # `functions/*`: every crate folder there is a member.
        member_functions = (member_functions - {"*"}) | crate_dirs
    for function in sorted(functions):
        if function not in crate_dirs:
            problems.append(f"route {functions[function]['route_key']} names function {function}, but there is no crate functions/{function}")
        elif function not in member_functions:
            problems.append(f"function crate functions/{function} is not a workspace member")
        else:
            package = tomllib.loads((repo / "functions" / function / "Cargo.toml").read_text(encoding="utf-8"))
            if package.get("package", {}).get("name") != function:
                problems.append(f"functions/{function}/Cargo.toml: the package must be named {function} (the Lambda zip and Terraform use the name)")
    stream_functions = {stream.get("function") for stream in routes_file.get("streams", [])}
    for function in sorted(stream_functions - crate_dirs):
        problems.append(f"routes.json: stream function {function} has no crate functions/{function}")
    for function in sorted((member_functions | crate_dirs) - set(functions) - stream_functions):
        problems.append(f"function crate functions/{function} has no route in routes.json")
    problems += _check_streams(repo, tf, stream_functions)

    # The Terraform reads routes.json, keyed by function name.
    route_list_local = next(
        (name for name, value in tf.locals.items() if isinstance(value, str)
         and 'jsondecode(file("${path.module}/../routes.json")).routes' in value),
        None,
    )
    routes_local = tf.locals.get("routes")
    if route_list_local is None:
        problems.append("infra: no local reads jsondecode(file(\"${path.module}/../routes.json\")).routes")
    if not (isinstance(routes_local, str) and route_list_local and re.search(
        rf"\{{for(\w+)inlocal\.{route_list_local}:\1\.function=>", _compact(routes_local))):
        problems.append("infra: local.routes must be the routes.json list keyed by function name")

    def per_route(kind: str) -> dict[str, dict]:
        return {name: body for name, body in tf.of_type(kind).items() if body.get("for_each") == "${local.routes}"}

    def per_function(kind: str) -> dict[str, dict]:
        return {name: body for name, body in tf.of_type(kind).items() if body.get("for_each") == "${local.functions}"}

    for kind in ("aws_apigatewayv2_integration", "aws_apigatewayv2_route", "aws_lambda_permission"):
        if not per_route(kind):
            problems.append(f"infra: no {kind} with for_each = local.routes (one per route)")

    # Every function, a route's or a stream's, is deployed by one definition: local.functions,
    # holding one entry per route (local.route_functions, over local.routes) and one per stream
    # function (local.stream_function_definitions, over local.stream_functions).
    route_functions = _compact(tf.locals.get("route_functions", ""))
    stream_definitions = _compact(tf.locals.get("stream_function_definitions", ""))
    if _compact(tf.locals.get("functions", "")) != "${merge(local.route_functions,local.stream_function_definitions)}":
        problems.append("infra: local.functions must be merge(local.route_functions, local.stream_function_definitions): every function from one definition")
    if not route_functions.startswith("${{forfunction,routeinlocal.routes:function=>"):
        problems.append("infra: local.route_functions must be one entry per route: { for function, route in local.routes : function => ... }")
    if not stream_definitions.startswith("${{forfunction,streaminlocal.stream_functions:function=>"):
        problems.append("infra: local.stream_function_definitions must be one entry per stream function: { for function, stream in local.stream_functions : function => ... }")
    for kind in ("aws_lambda_function", "aws_cloudwatch_log_group", "aws_iam_role", "aws_iam_role_policy"):
        if not per_function(kind):
            problems.append(f"infra: no {kind} with for_each = local.functions (one per function)")

    # The HTTP API's routes are exactly routes.json's.
    terraform_routes: set[str] = set()
    for name, body in tf.of_type("aws_apigatewayv2_route").items():
        route_key = body.get("route_key")
        if body.get("for_each") == "${local.routes}" and route_key == "${each.value.route_key}":
            terraform_routes |= route_keys
        elif isinstance(route_key, str) and "${" not in route_key:
            terraform_routes.add(route_key)
        else:
            problems.append(f"infra: aws_apigatewayv2_route.{name}: route_key must be each.value.route_key over local.routes, or a literal")
            continue
        if body.get("authorization_type") != "JWT" or "aws_apigatewayv2_authorizer." not in str(body.get("authorizer_id")):
            problems.append(f"infra: aws_apigatewayv2_route.{name}: routes must use the JWT authorizer")
    for route_key in sorted(route_keys - terraform_routes):
        problems.append(f"infra: route {route_key} of routes.json has no aws_apigatewayv2_route")
    for route_key in sorted(terraform_routes - route_keys):
        problems.append(f"infra: aws_apigatewayv2_route {route_key} is not in routes.json")
    for name, body in per_route("aws_apigatewayv2_integration").items():
        if body.get("integration_type") != "AWS_PROXY" or body.get("payload_format_version") != "2.0":
            problems.append(f"infra: aws_apigatewayv2_integration.{name}: must be AWS_PROXY with payload 2.0")

    # Functions: the runtime, and the zips and environment the code expects.
    zips = _compact(tf.locals.get("function_zips", ""))
    if "target/lambda/${function}/bootstrap.zip" not in zips:
        problems.append("infra: local.function_zips must point at target/lambda/<function>/bootstrap.zip (scripts/package)")
    # A function's configuration and its variables' names: adapters/apigateway/src/config.rs.
    function_config = (repo / "adapters/apigateway/src/config.rs").read_text(encoding="utf-8")
    env_names = _rust_constants(function_config)
    expected_env = {
        env_names.get("ITEMS_TABLE_ENV"): "aws_dynamodb_table.items",
        env_names.get("IDEMPOTENCY_TABLE_ENV"): "aws_dynamodb_table.idempotency",
    }
    admin_variable = env_names.get("ADMIN_GROUP_ENV")
    # Required inside Lambda: a function without it fails its init.
    cursor_variable = env_names.get("CURSOR_KEY_ENV")
    read_by_code = set(expected_env) | {admin_variable, cursor_variable, "RUST_LOG"}
    # A route function's environment is local.function_environment (its entry in
    # local.route_functions); the function resource sets each entry's.
    if "environment=local.function_environment" not in route_functions:
        problems.append("infra: local.route_functions: each route's environment must be local.function_environment")
    for name, body in per_function("aws_lambda_function").items():
        where = f"infra: aws_lambda_function.{name}"
        for attribute, value in (("runtime", "provided.al2023"), ("handler", "bootstrap")):
            if body.get(attribute) != value:
                problems.append(f"{where}: {attribute} must be {value}")
        if "local.function_zips[each.key]" not in str(body.get("filename")):
            problems.append(f"{where}: filename must be local.function_zips[each.key]")
        if (body.get("environment") or [{}])[0].get("variables") != "${each.value.environment}":
            problems.append(f"{where}: environment variables must be each.value.environment (its entry's)")
        environment = tf.resolve("${local.function_environment}")
        if not isinstance(environment, dict):
            problems.append("infra: local.function_environment must be a map the check can read")
            continue
        for variable, table in expected_env.items():
            if variable is None:
                problems.append("adapters/apigateway/src/config.rs: table variable names not found")
            elif _reference(environment.get(variable)) != table:
                problems.append(f"{where}: {variable} (read by items-apigateway) must be {table}.name")
        for variable in (admin_variable, cursor_variable):
            if variable and variable not in environment:
                problems.append(f"{where}: {variable} (read by items-apigateway) is not set")
        if environment.keys() - read_by_code:
            problems.append(f"{where}: sets variables the code does not read: {sorted(environment.keys() - read_by_code)}")

    # IAM: the planned policies are asserted by terraform test; here, the resource names
    # routes.json uses are the table design's, and no managed policy joins a function's own.
    arns = tf.locals.get("dynamodb_resource_arns")
    if not isinstance(arns, dict) or set(arns) != known_resources:
        problems.append(f"infra: local.dynamodb_resource_arns must map exactly the table design's resources {sorted(known_resources)}")
    roles = per_function("aws_iam_role")
    for name, body in tf.of_type("aws_iam_role_policy_attachment").items():
        if any(f"aws_iam_role.{role}" in str(body.get("role")) for role in roles):
            problems.append(f"infra: aws_iam_role_policy_attachment.{name}: function roles take only their inline least-privilege policy")

    # Tables: the same keys, types, index and TTL as the code.
    for table, design in tables.items():
        body = tf.resources.get(("aws_dynamodb_table", table))
        where = f"infra: aws_dynamodb_table.{table}"
        if body is None:
            problems.append(f"{where} is missing")
            continue
        attributes = {tf.resolve(a.get("name")): tf.resolve(a.get("type")) for a in body.get("attribute", [])}
        indexes = {
            tf.resolve(i.get("name")): (tf.resolve(i.get("hash_key")), tf.resolve(i.get("range_key")), tf.resolve(i.get("projection_type")))
            for i in body.get("global_secondary_index", [])
        }
        ttl = next((t for t in body.get("ttl", []) if t.get("enabled") is True), None)
        found = TableDesign(tf.resolve(body.get("hash_key")), tf.resolve(body.get("range_key")), attributes, indexes,
                            tf.resolve(ttl.get("attribute_name")) if ttl else None)
        if found.hash_key != design.hash_key:
            problems.append(f"{where}: hash_key {found.hash_key!r}, table_design.rs {design.hash_key!r}")
        if found.range_key != design.range_key:
            problems.append(f"{where}: range_key {found.range_key!r}, table_design.rs {design.range_key!r}")
        if found.attributes != design.attributes:
            problems.append(f"{where}: attributes {found.attributes}, table_design.rs {design.attributes}")
        if found.indexes != design.indexes:
            problems.append(f"{where}: indexes {found.indexes}, table_design.rs {design.indexes}")
        if found.ttl_attribute != design.ttl_attribute:
            problems.append(f"{where}: TTL attribute {found.ttl_attribute!r}, table_design.rs {design.ttl_attribute!r}")
        if body.get("billing_mode") != "PAY_PER_REQUEST":
            problems.append(f"{where}: billing_mode must be PAY_PER_REQUEST")
        for block in ("point_in_time_recovery", "server_side_encryption"):
            if not any(b.get("enabled") is True for b in body.get(block, [])):
                problems.append(f"{where}: {block} must be enabled")
        protection = body.get("deletion_protection_enabled")
        variable = re.fullmatch(r"\$\{var\.(\w+)\}", str(protection))
        if not (protection is True or (variable and tf.variables.get(variable.group(1), {}).get("default") is True)):
            problems.append(f"{where}: deletion protection must be on by default")
    return problems


# AWS data sources that call nothing a deploy role must be allowed (or only
# sts:GetCallerIdentity, which needs no permission). Other providers' types (terraform_data)
# call no AWS API at all.
_NO_PERMISSION_TYPES = {"aws_iam_policy_document", "aws_partition", "aws_region", "aws_caller_identity"}


def check_deploy_policy_coverage(repo: Path, files: list[TerraformFile]) -> list[str]:
    """Every resource and data source type the stage configuration uses has an entry in the deploy
    policy's test (infra/bootstrap/tests/deploy_policy.tftest.hcl, var.needs), which asserts
    that each environment's deploy role may make that call on its own stage."""
    test = repo / "infra/bootstrap/tests/deploy_policy.tftest.hcl"
    if not test.exists():
        return [f"{test.relative_to(repo)} is missing: the deploy policy's test"]
    covered = set(re.findall(r'\btype\s*=\s*"([a-z0-9_]+)"', test.read_text(encoding="utf-8")))
    used = set()
    for file in files:
        used.update(re.findall(r'^(?:resource|data)\s+"(aws_[a-z0-9_]+)"', file.text, flags=re.MULTILINE))
    return [
        f"infra: {kind} is created or read by the stage, but infra/bootstrap/tests/deploy_policy.tftest.hcl "
        "lists no call of it in var.needs: add what the provider calls for it, and allow it in infra/bootstrap/policy.tf"
        for kind in sorted(used - covered - _NO_PERMISSION_TYPES)
    ]


# --------------------------------------------------------------------------------------------


def run_all(repo: Path) -> list[str]:
    """Every problem of the three checks, for the repository at `repo`."""
    infra = repo / "infra"
    files, problems = parse_directory(infra)
    for file in files:
        problems += check_format(file.path.name, file.text)
    for tfvars in sorted(infra.glob("**/*.tfvars")):
        problems += check_format(str(tfvars.relative_to(infra)), tfvars.read_text(encoding="utf-8"))
    if problems:
        return problems
    problems += check_consistency(repo, files)
    problems += check_deploy_policy_coverage(repo, files)
    # Imported here: production_checks builds on this module's parsing and look-ups.
    from production_checks import check_production

    problems += check_production(repo, files)
    return problems


def main(argv: list[str]) -> int:
    repo = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    files = sorted((repo / "infra").glob("*.tf"))
    problems = run_all(repo)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in the Terraform of {len(files)} files")
        return 1
    print(f"{len(files)} Terraform files: parsed, formatted, consistent with routes.json and the code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
