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

    python moto_offline.py --host 127.0.0.1 --port PORT
"""

from botocore.awsrequest import AWSRequest
import moto.events.models
from moto.awslambda.models import LambdaBackend
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


if __name__ == "__main__":
    log_targets_get_whole_events()
    sign_over_the_body_received()
    leave_streams_to_the_lambda_emulator()
    # moto's own server: IAM is enforced, and the signature checks need the raw request path.
    moto_serialized.main(keep_alive=False)
