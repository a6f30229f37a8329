"""What scripts/moto_offline.py changes in moto, checked in-process:

    .tools/moto/bin/python scripts/moto_offline_test.py
"""

import io
import json
import sys
import unittest
import zipfile

import boto3
from moto import mock_aws

import moto_offline

moto_offline.one_statement_per_id()

ASSUME_BY_LAMBDA = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",'
    ' "Principal": {"Service": "lambda.amazonaws.com"}}]}'
)


def bootstrap_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", "")
    return buffer.getvalue()


@mock_aws
class OneStatementPerId(unittest.TestCase):
    def setUp(self):
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="get-item", AssumeRolePolicyDocument=ASSUME_BY_LAMBDA
        )["Role"]["Arn"]
        self.lambda_ = boto3.client("lambda", region_name="us-east-1")
        self.lambda_.create_function(
            FunctionName="get-item",
            Runtime="provided.al2023",
            Role=role,
            Handler="bootstrap",
            Code={"ZipFile": bootstrap_zip()},
        )

    def add(self, source_arn: str) -> dict:
        return self.lambda_.add_permission(
            FunctionName="get-item",
            StatementId="AllowHttpApiRoute",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )

    def statement_ids(self) -> list:
        policy = json.loads(self.lambda_.get_policy(FunctionName="get-item")["Policy"])
        return [statement["Sid"] for statement in policy["Statement"]]

    def test_the_same_statement_again_is_answered_as_the_first_time_and_kept_once(self):
        first = self.add("arn:aws:execute-api:us-east-1:123456789012:api/*/GET/items/*")
        again = self.add("arn:aws:execute-api:us-east-1:123456789012:api/*/GET/items/*")
        self.assertEqual(first["Statement"], again["Statement"])
        self.assertEqual(self.statement_ids(), ["AllowHttpApiRoute"])
        self.lambda_.remove_permission(FunctionName="get-item", StatementId="AllowHttpApiRoute")
        with self.assertRaises(self.lambda_.exceptions.ResourceNotFoundException):
            self.lambda_.get_policy(FunctionName="get-item")

    def test_another_statement_under_a_taken_id_is_refused_as_lambda_refuses_it(self):
        self.add("arn:aws:execute-api:us-east-1:123456789012:api/*/GET/items/*")
        with self.assertRaises(self.lambda_.exceptions.ResourceConflictException) as refused:
            self.add("arn:aws:execute-api:us-east-1:123456789012:api/*/DELETE/items/*")
        self.assertIn("AllowHttpApiRoute", str(refused.exception))
        self.assertEqual(self.statement_ids(), ["AllowHttpApiRoute"])


class RetriedCallsLogged(unittest.TestCase):
    def logged(self, header: str) -> str:
        answered = []
        app = moto_offline.log_retried_calls(lambda environ, start_response: answered.append(1) or [b""])
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/2015-03-31/functions/get-item/policy"}
        if header:
            environ["HTTP_AMZ_SDK_REQUEST"] = header
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            app(environ, None)
            return sys.stderr.getvalue()
        finally:
            sys.stderr = stderr
            self.assertEqual(answered, [1])

    def test_a_second_attempt_is_written_with_its_call(self):
        self.assertEqual(
            self.logged("attempt=2; max=25"),
            "retried call: POST /2015-03-31/functions/get-item/policy (attempt=2; max=25)\n",
        )

    def test_a_first_attempt_or_a_call_without_the_header_is_not(self):
        self.assertEqual(self.logged("attempt=1; max=25"), "")
        self.assertEqual(self.logged(""), "")


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=1))
