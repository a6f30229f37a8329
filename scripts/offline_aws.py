"""The AWS side of scripts/deploy-offline, against the moto server it started (boto3 from the
moto virtualenv):

    offline_aws.py bootstrap URL STATE_BUCKET   the deployer's principal (while moto still
                                                accepts unsigned calls) and the state bucket;
                                                prints the deployer's keys as shell exports
    offline_aws.py principals APPLIED OUT       one IAM user per function holding its applied
                                                role's policies; writes their keys to OUT
    offline_aws.py leftovers NAME               fails when anything named NAME-* is left
    offline_aws.py jwks URL ISSUER OUT          the user pool's JWKS, as moto serves it
    offline_aws.py narrow PRINCIPALS FUNCTION ACTION
                                                takes ACTION out of FUNCTION's role policies
                                                and of the user standing in for the role

APPLIED is `terraform show -json` of the stage. moto cannot assume a role whose trust policy
names a service (Lambda), so each function runs as an IAM user holding the same policy
documents. Two differences of moto's IAM are mapped here, and said when they apply:

- moto matches DynamoDB actions against resource "*" only: a statement scoped to a table ARN
  never matches there. Every statement's resources are widened to "*" for moto, and checked
  here instead: each resource ARN must be one the stage applied (a table, index, stream, bus,
  log group) or "*", else this fails.
- moto authorizes a transaction as `dynamodb:TransactWriteItems`; AWS authorizes each write
  it contains (PutItem, UpdateItem, DeleteItem, ConditionCheckItem) on its table. A statement
  that grants one of those writes also grants TransactWriteItems here, so the function may
  write the same items in a transaction that it may write one by one.
"""

from __future__ import annotations

import json
import sys
import urllib.request

import os

import boto3

REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

TRANSACTION_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}


def client(service: str, url: str | None = None, **keys):
    return boto3.client(service, endpoint_url=url, region_name=REGION, **keys)


def bootstrap(url: str, bucket: str) -> None:
    """Three unsigned calls create the deployer (moto enforces IAM after them), then its keys
    create the state bucket."""
    iam = client("iam", url, aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="offline-deployer")
    iam.put_user_policy(
        UserName="offline-deployer",
        PolicyName="deploy-everything",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="offline-deployer")["AccessKey"]
    keys = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    client("s3", url, **keys).create_bucket(Bucket=bucket)
    print(f"export AWS_ACCESS_KEY_ID={key['AccessKeyId']}")
    print(f"export AWS_SECRET_ACCESS_KEY={key['SecretAccessKey']}")


def resources(applied: dict) -> list[dict]:
    """Every resource of the applied state, child modules included."""
    found = []

    def walk(module: dict) -> None:
        found.extend(module.get("resources", []))
        for child in module.get("child_modules", []):
            walk(child)

    walk(applied.get("values", {}).get("root_module", {}))
    return found


def applied_arns(all_resources: list[dict]) -> set[str]:
    """The ARNs a function's policy may name: tables, their indexes and streams, buses, log
    groups and queues of this stage."""
    arns = set()
    for resource in all_resources:
        values = resource.get("values", {})
        kind = resource["type"]
        if kind == "aws_dynamodb_table":
            arns.add(values["arn"])
            if values.get("stream_arn"):
                arns.add(values["stream_arn"])
            for index in values.get("global_secondary_index", []):
                arns.add(f"{values['arn']}/index/{index['name']}")
        elif kind == "aws_cloudwatch_log_group":
            arns.add(values["arn"])
            arns.add(f"{values['arn']}:*")
        elif kind in ("aws_cloudwatch_event_bus", "aws_sqs_queue"):
            arns.add(values["arn"])
    return arns


def for_moto(document: dict, known: set[str], where: str) -> tuple[dict, list[str]]:
    """The policy with every resource "*" and TransactWriteItems beside transactional writes;
    and the problems: resources that name nothing this stage applied."""
    problems = []
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    widened = []
    for statement in statements:
        listed = statement.get("Resource", [])
        for arn in [listed] if isinstance(listed, str) else listed:
            if arn != "*" and arn not in known:
                problems.append(f"{where}: statement {statement.get('Sid', '?')} names {arn}, which this stage did not apply")
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else list(actions)
        if statement.get("Effect") == "Allow" and TRANSACTION_WRITES & set(actions):
            actions.append("dynamodb:TransactWriteItems")
        widened.append({**statement, "Action": sorted(set(actions)), "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": widened}, problems


def principals(applied_path: str, out_path: str) -> int:
    applied = json.load(open(applied_path))
    all_resources = resources(applied)
    known = applied_arns(all_resources)
    role_policies: dict[str, list[tuple[str, str]]] = {}
    for resource in all_resources:
        if resource["type"] == "aws_iam_role_policy" and resource["mode"] == "managed":
            values = resource["values"]
            role_policies.setdefault(values["role"], []).append((values["name"], values["policy"]))
    iam = client("iam")
    keys = {}
    problems = []
    for resource in all_resources:
        if resource["type"] != "aws_lambda_function":
            continue
        function = resource["values"]
        role = function["role"].rsplit("/", 1)[-1]
        policies = role_policies.get(role, [])
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        if attached:
            problems.append(f"{function['function_name']}: managed policies attached to {role} are not copied: {[p['PolicyArn'] for p in attached]}")
        user = role
        try:
            iam.create_user(UserName=user)
        except iam.exceptions.EntityAlreadyExistsException:
            for old in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=user, AccessKeyId=old["AccessKeyId"])
            for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
                iam.delete_user_policy(UserName=user, PolicyName=name)
        for name, document in policies:
            widened, found = for_moto(json.loads(document), known, f"{role}/{name}")
            problems.extend(found)
            iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(widened))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[function["function_name"]] = {
            "user": user,
            "role": function["role"],
            "policies": [name for name, _ in policies],
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
    json.dump(keys, open(out_path, "w"), indent=2)
    for problem in problems:
        print(f"offline IAM: {problem}", file=sys.stderr)
    print(
        f"offline IAM: {len(keys)} functions, each as an IAM user holding its role's policies "
        "(resources widened to \"*\" for moto and checked against the applied ARNs; "
        "TransactWriteItems granted beside PutItem/UpdateItem/DeleteItem/ConditionCheckItem, "
        "as moto authorizes transactions as one action)",
        file=sys.stderr,
    )
    return 1 if problems else 0


def leftovers(name: str) -> int:
    """Everything of the stage the APIs still list (IAM users this script made are removed)."""
    prefix = f"{name}-"
    iam = client("iam")
    for user in iam.list_users()["Users"]:
        if user["UserName"].startswith(prefix):
            for key in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=user["UserName"], AccessKeyId=key["AccessKeyId"])
            for policy in iam.list_user_policies(UserName=user["UserName"])["PolicyNames"]:
                iam.delete_user_policy(UserName=user["UserName"], PolicyName=policy)
            iam.delete_user(UserName=user["UserName"])
    left = []
    left += [f"table {t}" for t in client("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)]
    left += [f"function {f['FunctionName']}" for f in client("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(prefix)]
    left += [f"API {a['Name']}" for a in client("apigatewayv2").get_apis()["Items"] if a["Name"].startswith(name)]
    left += [f"role {r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    left += [f"user pool {p['Name']}" for p in client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"] if p["Name"].startswith(name)]
    left += [f"bus {b['Name']}" for b in client("events").list_event_buses()["EventBuses"] if b["Name"].startswith(prefix)]
    left += [f"queue {q}" for q in client("sqs").list_queues().get("QueueUrls", []) if f"/{prefix}" in q]
    left += [f"log group {g['logGroupName']}" for g in client("logs").describe_log_groups()["logGroups"] if name in g["logGroupName"]]
    left += [f"alarm {a['AlarmName']}" for a in client("cloudwatch").describe_alarms()["MetricAlarms"] if a["AlarmName"].startswith(prefix)]
    for thing in left:
        print(f"left after destroy: {thing}", file=sys.stderr)
    if not left:
        print(f"nothing of {name} is left (tables, functions, APIs, roles, user pools, buses, queues, log groups, alarms)")
    return 1 if left else 0


def jwks(url: str, issuer: str, out_path: str) -> None:
    """moto serves a pool's JWKS at <moto URL>/<pool id>/.well-known/jwks.json, where AWS serves
    it at <issuer>/.well-known/jwks.json."""
    pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
    with urllib.request.urlopen(f"{url}/{pool_id}/.well-known/jwks.json", timeout=10) as response:
        keys = json.load(response)
    json.dump(keys, open(out_path, "w"))


def narrow(principals_path: str, function: str, action: str) -> None:
    """What removing ACTION from the function's policy in the Terraform and applying would do,
    without a new apply: the role's inline policies and its stand-in user's lose the action."""
    user = json.load(open(principals_path))[function]["user"]
    iam = client("iam")

    def without(document: dict) -> dict:
        statements = document["Statement"]
        for statement in [statements] if isinstance(statements, dict) else statements:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            removed = {action} | ({"dynamodb:TransactWriteItems"} if action in TRANSACTION_WRITES else set())
            statement["Action"] = [a for a in actions if a not in removed] or ["none:NoAction"]
        return document

    for name in iam.list_role_policies(RoleName=user)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=user, PolicyName=name)["PolicyDocument"]
        iam.put_role_policy(RoleName=user, PolicyName=name, PolicyDocument=json.dumps(without(document)))
    for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
        document = iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(without(document)))
    print(f"{function}: {action} taken out of its role's policies")


def main(argv: list[str]) -> int:
    match argv[1:]:
        case ["bootstrap", url, bucket]:
            bootstrap(url, bucket)
            return 0
        case ["principals", applied, out]:
            return principals(applied, out)
        case ["leftovers", name]:
            return leftovers(name)
        case ["narrow", principals_path, function, action]:
            narrow(principals_path, function, action)
            return 0
        case ["jwks", url, issuer, out]:
            jwks(url, issuer, out)
            return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
