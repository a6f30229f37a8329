"""moto's server for scripts/deploy-offline: scripts/moto_serialized.py (one request at a time)
with IAM enforced (INITIAL_NO_AUTH_ACTION_COUNT in the environment) and one fix to moto 5.2.5's
signature check.

moto recomputes a request's SigV4 signature over its body, or, when the body is empty, over
the query string's parameters encoded as a body. A client signs a GET (Lambda's GetFunction,
API Gateway's GetApis, ...) or DELETE over an empty payload, so every one of them would be
refused as SignatureDoesNotMatch. The check below uses the empty payload for those.

And one change of role: moto's Lambda delivers a table's stream to a mapped function itself
(in Docker, which may be missing) and then empties the stream's shard, so nothing is left for
the project's Lambda emulator to read. Here the emulator is Lambda: moto's Lambda delivers
nothing, and the stream keeps its records as DynamoDB's does.

And two fixes to what an EventBridge rule's log group target writes: each event's `account`
is left out (EventBridge always sends it), and the log event's timestamp is a fractional
millisecond, which CloudWatch Logs clients (the Rust SDK) refuse to parse.

And Lambda's one statement per id in a function's policy: moto appends a second statement under
an id the policy already holds, where Lambda refuses it (409 ResourceConflictException). Once, on
a loaded machine, a function's policy held its route's statement twice after the apply: the
destroy's RemovePermission took out one, and Terraform waited five minutes for the other to go
and failed. An AddPermission sent again (an SDK retries a call whose answer it did not get) is
the way one statement reaches the server twice. Here the same statement again is answered as
the first call was, and a different one under a taken id is refused as Lambda refuses it. Every
call an SDK sends again is written to the log (`retried call: ...`), so a failure shows them.

    python moto_offline.py --host 127.0.0.1 --port PORT
"""

import re
import sys

from botocore.awsrequest import AWSRequest
import moto.events.models
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend
from moto.awslambda.policy import Policy
from moto.iam.access_control import IAMRequestBase

import moto_serialized


def sign_over_the_body_received():
    def create_aws_request(self) -> AWSRequest:
        signed_headers = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
        headers = self._create_headers_for_aws_request(signed_headers, self._headers)
        # A query-protocol POST (IAM, STS) reaches here with its form already parsed into data.
        payload = self._body or (self._data if self._method == "POST" else b"")
        request = AWSRequest(method=self._method, url=self._path, data=payload, headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    IAMRequestBase._create_aws_request = create_aws_request


def leave_streams_to_the_lambda_emulator():
    LambdaBackend.send_dynamodb_items = lambda self, function_arn, items, source: None


def log_targets_get_whole_events():
    fractional = moto.events.models.unix_time_millis
    moto.events.models.unix_time_millis = lambda *args: int(fractional(*args))
    send = moto.events.models.Rule._send_to_cw_log_group

    def send_with_account(self, name, event):
        return send(self, name, {**event, "account": event.get("account") or self.account_id})

    moto.events.models.Rule._send_to_cw_log_group = send_with_account


class StatementIdTaken(LambdaClientError):
    code = 409

    def __init__(self, sid: str):
        super().__init__(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id,"
            " or remove the existing statement.",
        )


def one_statement_per_id():
    add_statement = Policy.add_statement

    def add_unless_taken(self, raw, qualifier=None):
        revision = self.revision
        statement, new_revision = add_statement(self, raw, qualifier)
        sid = statement.get("Sid")
        held = next((s for s in self.statements[:-1] if s.get("Sid") == sid), None)
        if held is None:
            return statement, new_revision
        self.statements.pop()
        self.revision = revision
        if held != statement:
            raise StatementIdTaken(sid)
        print(f"repeated AddPermission of {sid}: answered with the statement it added", file=sys.stderr)
        return held, revision

    Policy.add_statement = add_unless_taken


def log_retried_calls(app):
    """Writes each call an AWS SDK sends again (its `amz-sdk-request: attempt=N`, N > 1)."""

    def handle(environ, start_response):
        header = environ.get("HTTP_AMZ_SDK_REQUEST", "")
        attempt = re.search(r"attempt=(\d+)", header)
        if attempt and int(attempt.group(1)) > 1:
            path = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
            print(f"retried call: {environ.get('REQUEST_METHOD')} {path} ({header})", file=sys.stderr)
        return app(environ, start_response)

    return handle


if __name__ == "__main__":
    log_targets_get_whole_events()
    sign_over_the_body_received()
    leave_streams_to_the_lambda_emulator()
    one_statement_per_id()
    # moto's own server: IAM is enforced, and the signature checks need the raw request path.
    moto_serialized.main(keep_alive=False, outer=log_retried_calls)
