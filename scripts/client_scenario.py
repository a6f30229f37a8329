"""A consumer's first session with the items API, through the client openapi-python-client
generated from openapi.yaml (scripts/check-generated-client runs this with the client on
PYTHONPATH): create, read, a conditional update with the ETag it got, a listing followed by
its cursor, a delete, and then every error status the contract defines, each answer parsed
into the generated model for that status.

Three local stages serve it, in-process: one on the in-memory store for the API's own answers;
one with a stage throttle of one request, for 429; and one whose DynamoDB endpoint is a small
fault-injecting server below, for 500 and 503 (a real store cannot fail on demand).

Usage: python client_scenario.py PATH/TO/local-stage
"""

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from items_api_client import AuthenticatedClient, Client
from items_api_client.api.items import (
    create_item,
    delete_item,
    get_item,
    list_items,
    patch_item,
    update_item,
)
from items_api_client.models import (
    ConflictProblem,
    ForbiddenProblem,
    GatewayMessage,
    InternalServerErrorProblem,
    Item,
    ItemInput,
    ItemPage,
    ItemPatch,
    NotFoundProblem,
    PayloadTooLargeProblem,
    PreconditionFailedProblem,
    ServiceUnavailableProblem,
    UnsupportedMediaTypeProblem,
    ValidationProblem,
)
from items_api_client.types import UNSET, Response

STAGE_START_SECONDS = 60
# The id whose GetItem the fault-injecting store answers with a server fault (503 after the
# SDK's retries); every other item request gets "table not found" (a 500: misconfiguration).
UNAVAILABLE_ID = uuid.UUID("5e1ec7ed-0000-4000-8000-000000000503")


class Failed(Exception):
    """One check did not hold."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def expect_model(response: Response, status: int, model: type):
    """The answer has `status` and parsed into `model`; problems carry the request id."""
    parsed = response.parsed
    expect(
        response.status_code == status,
        f"expected {status}, got {response.status_code}: {response.content[:300]!r}",
    )
    expect(
        isinstance(parsed, model),
        f"expected a {model.__name__}, got {type(parsed).__name__}: {response.content[:300]!r}",
    )
    if hasattr(parsed, "request_id"):
        expect(parsed.status == status, f"problem status {parsed.status} on a {status}")
        expect(
            parsed.request_id == response.headers.get("x-request-id"),
            "the problem's request_id is not the x-request-id header",
        )
    return parsed


class Stage:
    """A local stage in its own process, on a free port, stopped by `stop`."""

    def __init__(self, binary: str, key_file: Path, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [binary, "serve", "--port", "0", "--access-log", "off", "--key-file", str(key_file), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.output: list[str] = []
        lines: queue.Queue = queue.Queue()

        def drain() -> None:
            # Read everything the stage prints, so a full pipe never blocks it.
            for line in self.process.stdout:
                self.output.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        self.url = ""
        while not self.url:
            try:
                line = lines.get(timeout=STAGE_START_SECONDS)
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                raise RuntimeError("the local stage did not start:\n" + "".join(self.output))
            if " listening on " in line:
                self.url = line.rsplit(" listening on ", 1)[1].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class FaultyDynamoDb(BaseHTTPRequestHandler):
    """Enough of DynamoDB's JSON protocol for a stage to start (its tables "exist", are active,
    expire idempotency records, and the items table has a stream with no shards yet, which the
    stage's stream mapping reads), then a failure for every item request."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        operation = self.headers.get("x-amz-target", "").rsplit(".", 1)[-1]
        if operation == "CreateTable":
            self.answer(400, error("ResourceInUseException", "Table already exists"))
        elif operation == "DescribeTable":
            name = json.loads(body).get("TableName", "")
            stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            table = {"TableName": name, "TableStatus": "ACTIVE", "StreamSpecification": stream}
            self.answer(200, {"Table": {**table, "LatestStreamArn": stream_arn(name)}})
        elif operation == "ListStreams":
            name = json.loads(body).get("TableName", "")
            self.answer(200, {"Streams": [{"StreamArn": stream_arn(name), "TableName": name}]})
        elif operation == "DescribeStream":
            arn = json.loads(body).get("StreamArn", "")
            description = {"StreamArn": arn, "StreamStatus": "ENABLED", "Shards": []}
            self.answer(200, {"StreamDescription": description})
        elif operation == "DescribeTimeToLive":
            self.answer(200, {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED"}})
        elif str(UNAVAILABLE_ID).encode() in body:
            self.answer(500, error("InternalServerError", "Internal server error"))
        else:
            self.answer(400, error("ResourceNotFoundException", "Requested resource not found"))

    def answer(self, status: int, document: dict) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/x-amz-json-1.0")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


def error(code: str, message: str) -> dict:
    return {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}


def token(binary: str, key_file: Path, sub: str) -> str:
    minted = subprocess.run(
        [binary, "token", "--sub", sub, "--key-file", str(key_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return minted.stdout.strip()


def new_item(name: str, category: str | None = None) -> ItemInput:
    return ItemInput(name=name, description="made by the generated client", category=category)


def item_lifecycle(alice: AuthenticatedClient) -> list[str]:
    """Create, get, update with If-Match, list with a cursor, delete."""
    done = []
    created = create_item.sync_detailed(client=alice, body=new_item("Cordless drill", "tools"))
    item = expect_model(created, 201, Item)
    etag = created.headers.get("etag")
    expect(etag == '"1"', f"ETag of a new item is {etag!r}")
    expect(created.headers.get("location") == f"/items/{item.id}", "Location names the item")
    done.append(f"201 createItem -> Item {item.id}, version {item.version}, ETag {etag}")

    fetched = expect_model(get_item.sync_detailed(item.id, client=alice), 200, Item)
    expect(fetched.to_dict() == item.to_dict(), "getItem returns the item as created")
    done.append("200 getItem -> Item, the same fields as created")

    changed = new_item("Cordless drill, 18 V", "tools")
    updated = update_item.sync_detailed(item.id, client=alice, body=changed, if_match=etag)
    after = expect_model(updated, 200, Item)
    expect(after.version == 2 and after.name == changed.name, "the update is applied")
    expect(updated.headers.get("etag") == '"2"', "the new ETag is the new version")
    done.append(f"200 updateItem (If-Match {etag}) -> Item version {after.version}, ETag \"2\"")

    patched = patch_item.sync_detailed(
        item.id, client=alice, body=ItemPatch(description="18 V, three batteries", category=None), if_match='"2"'
    )
    merged = expect_model(patched, 200, Item)
    expect(
        merged.version == 3 and merged.name == changed.name and merged.description == "18 V, three batteries",
        "the patch changes the description and keeps the name",
    )
    expect(not merged.to_dict().get("category"), "a null category removes it")
    done.append("200 patchItem (If-Match \"2\", a description and category: null) -> Item version 3")

    category = f"client-{uuid.uuid4().hex[:12]}"
    made = set()
    for n in range(3):
        answer = create_item.sync_detailed(client=alice, body=new_item(f"Listed {n}", category))
        made.add(expect_model(answer, 201, Item).id)
    first = expect_model(
        list_items.sync_detailed(client=alice, category=category, limit=2), 200, ItemPage
    )
    expect(len(first.items) == 2 and isinstance(first.next_cursor, str), "a first page of 2")
    second = expect_model(
        list_items.sync_detailed(client=alice, category=category, limit=2, cursor=first.next_cursor),
        200,
        ItemPage,
    )
    expect(second.next_cursor is None, "the second page is the last")
    listed = [entry.id for entry in first.items + second.items]
    expect(sorted(listed) == sorted(made), "the pages hold each item once")
    done.append("200 listItems (limit 2), then its next_cursor -> ItemPage x2, 3 items once each")

    removed = delete_item.sync_detailed(item.id, client=alice, if_match='"3"')
    expect(removed.status_code == 204 and removed.parsed is None, "delete answers 204")
    expect_model(get_item.sync_detailed(item.id, client=alice), 404, NotFoundProblem)
    done.append("204 deleteItem (If-Match \"3\"), then getItem -> 404")
    return done


def error_statuses(stage_url: str, alice_token: str, bob_token: str) -> list[str]:
    """Each error status the API itself answers, parsed into its model."""
    alice = AuthenticatedClient(base_url=stage_url, token=alice_token, raise_on_unexpected_status=True)
    bob = AuthenticatedClient(base_url=stage_url, token=bob_token, raise_on_unexpected_status=True)
    done = []

    invalid = create_item.sync_detailed(client=alice, body=new_item("   ", "Not A Category"))
    problem = expect_model(invalid, 400, ValidationProblem)
    fields = sorted(error.field for error in problem.errors)
    expect(fields == ["category", "name"], f"400 names the bad fields, not {fields}")
    done.append(f"400 createItem -> ValidationProblem, errors on {', '.join(fields)}")

    anonymous = Client(base_url=stage_url, raise_on_unexpected_status=True)
    refused = expect_model(list_items.sync_detailed(client=anonymous), 401, GatewayMessage)
    expect(refused.message == "Unauthorized", "API Gateway's 401 message")
    done.append("401 listItems without a token -> GatewayMessage 'Unauthorized'")

    item = expect_model(create_item.sync_detailed(client=alice, body=new_item("Alice's")), 201, Item)
    foreign = update_item.sync_detailed(item.id, client=bob, body=new_item("Bob's now"))
    expect_model(foreign, 403, ForbiddenProblem)
    done.append("403 updateItem of another caller's item -> ForbiddenProblem")

    expect_model(get_item.sync_detailed(uuid.uuid4(), client=alice), 404, NotFoundProblem)
    done.append("404 getItem of an unknown id -> NotFoundProblem")

    key = uuid.uuid4().hex
    expect_model(create_item.sync_detailed(client=alice, body=new_item("Once"), idempotency_key=key), 201, Item)
    reused = create_item.sync_detailed(client=alice, body=new_item("Twice"), idempotency_key=key)
    expect_model(reused, 409, ConflictProblem)
    done.append("409 createItem reusing an Idempotency-Key for another body -> ConflictProblem")

    stale = update_item.sync_detailed(item.id, client=alice, body=new_item("Later"), if_match='"7"')
    expect_model(stale, 412, PreconditionFailedProblem)
    done.append("412 updateItem with a stale If-Match -> PreconditionFailedProblem")

    huge = ItemInput(name="x" * 20_000, description="")
    expect_model(create_item.sync_detailed(client=alice, body=huge), 413, PayloadTooLargeProblem)
    done.append("413 createItem with a 20 kB body -> PayloadTooLargeProblem")

    def as_plain_text(request: httpx.Request) -> None:
        request.headers["content-type"] = "text/plain"

    relabelled = AuthenticatedClient(
        base_url=stage_url,
        token=alice_token,
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"request": [as_plain_text]}},
    )
    plain = create_item.sync_detailed(client=relabelled, body=new_item("Text"))
    expect_model(plain, 415, UnsupportedMediaTypeProblem)
    done.append("415 createItem sent as text/plain -> UnsupportedMediaTypeProblem")
    return done


def throttled_status(stage_url: str, alice_token: str) -> list[str]:
    alice = AuthenticatedClient(base_url=stage_url, token=alice_token, raise_on_unexpected_status=True)
    expect_model(list_items.sync_detailed(client=alice), 200, ItemPage)
    refused = expect_model(list_items.sync_detailed(client=alice), 429, GatewayMessage)
    expect(refused.message == "Too Many Requests", "API Gateway's 429 message")
    return ["429 listItems past the stage's burst of 1 -> GatewayMessage 'Too Many Requests'"]


def store_failures(stage_url: str, alice_token: str) -> list[str]:
    alice = AuthenticatedClient(base_url=stage_url, token=alice_token, raise_on_unexpected_status=True)
    expect_model(get_item.sync_detailed(uuid.uuid4(), client=alice), 500, InternalServerErrorProblem)
    unavailable = get_item.sync_detailed(UNAVAILABLE_ID, client=alice)
    expect_model(unavailable, 503, ServiceUnavailableProblem)
    expect(unavailable.headers.get("retry-after", "").isdigit(), "503 carries Retry-After")
    return [
        "500 getItem with the store's table missing -> InternalServerErrorProblem",
        "503 getItem with the store failing -> ServiceUnavailableProblem, Retry-After",
    ]


def stream_arn(table: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/2026-01-01T00:00:00.000"


def main() -> int:
    binary = sys.argv[1]
    stages: list[Stage] = []
    store = ThreadingHTTPServer(("127.0.0.1", 0), FaultyDynamoDb)
    store.daemon_threads = True
    threading.Thread(target=store.serve_forever, daemon=True).start()
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory() as scratch:
        key_file = Path(scratch) / "issuer.pem"
        try:
            alice_token = token(binary, key_file, "client-alice")
            bob_token = token(binary, key_file, "client-bob")
            plain = Stage(binary, key_file)
            throttled = Stage(binary, key_file, "--throttle-burst", "1", "--throttle-rate", "0.001")
            faulty_env = {
                **os.environ,
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            faulty = Stage(
                binary,
                key_file,
                "--store",
                "dynamodb",
                "--endpoint",
                f"http://127.0.0.1:{store.server_address[1]}",
                env=faulty_env,
            )
            stages += [plain, throttled, faulty]
            alice = AuthenticatedClient(base_url=plain.url, token=alice_token, raise_on_unexpected_status=True)
            scenarios = [
                ("item lifecycle", lambda: item_lifecycle(alice)),
                ("error statuses", lambda: error_statuses(plain.url, alice_token, bob_token)),
                ("stage throttling", lambda: throttled_status(throttled.url, alice_token)),
                ("store failures", lambda: store_failures(faulty.url, alice_token)),
            ]
            for name, scenario in scenarios:
                try:
                    for line in scenario():
                        print(f"ok      {line}")
                    passed += 1
                except Exception as failure:  # a failed check or an unparsable answer
                    print(f"FAILED  {name}: {type(failure).__name__}: {failure}")
                    failed += 1
        finally:
            for stage in stages:
                stage.stop()
            store.shutdown()
        if failed:
            for stage in stages:
                print(f"--- output of the stage at {stage.url}:\n{''.join(stage.output[-50:])}")
    print(f"scenarios: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
