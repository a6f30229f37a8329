"""One route under a narrowed role, on a stage served by scripts/deploy-offline: takes
dynamodb:GetItem out of the get-item function's role (and the user standing in for it), then
shows GET /items/{id} failing as any store failure does (a 5xx problem+json, the cause in the
function's log) while the other routes still work.

    offline_iam_check.py URL WORK_DIR      (E2E_TOKEN_USER_A in the environment)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def call(method: str, url: str, token: str, body: dict | None = None) -> tuple[int, dict, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    url, work = argv[1].rstrip("/"), Path(argv[2])
    token = os.environ["E2E_TOKEN_USER_A"]
    principals = json.loads((work / "principals.json").read_text())
    get_item = next(name for name in principals if name.endswith("-get-item"))
    problems = []

    status, _, body = call("POST", f"{url}/items", token, {"name": "narrowed", "description": "iam", "category": "iam"})
    if status != 201:
        print(f"POST /items before narrowing: {status} {body[:200]!r}", file=sys.stderr)
        return 1
    item_id = json.loads(body)["id"]
    status, _, _ = call("GET", f"{url}/items/{item_id}", token)
    if status != 200:
        problems.append(f"GET /items/{{id}} before narrowing: {status}, expected 200")

    log = work / "stage.log"
    log_before = log.stat().st_size
    subprocess.run(
        [".tools/moto/bin/python", "scripts/offline_aws.py", "narrow", str(work / "principals.json"), get_item, "dynamodb:GetItem"],
        check=True,
    )
    status, headers, body = call("GET", f"{url}/items/{item_id}", token)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    print(f"GET /items/{{id}} as a role without dynamodb:GetItem: {status} {content_type} {body[:160].decode(errors='replace')}")
    if status < 500 or content_type != "application/problem+json":
        problems.append(f"GET /items/{{id}} without dynamodb:GetItem: {status} {content_type}, expected a 5xx application/problem+json")

    time.sleep(0.5)
    with log.open("rb") as lines:
        lines.seek(log_before)
        added = lines.read().decode(errors="replace")
    causes = [line for line in added.splitlines() if "get-item" in line or "AccessDenied" in line or "403" in line]
    if not any("AccessDenied" in line or "403" in line for line in added.splitlines()):
        problems.append("the stage's log names no AccessDenied (or 403) after the narrowed call")
    else:
        print("the cause in the log: " + next(line for line in causes if "AccessDenied" in line or "403" in line)[:300])

    for method, path in (("GET", "/items"), ("PUT", f"/items/{item_id}")):
        body = {"name": "still works", "description": "iam", "category": "iam"} if method == "PUT" else None
        status, _, answer = call(method, f"{url}{path}", token, body)
        # PUT without If-Match is refused by the API itself (428): any non-5xx shows the route
        # and its store calls work.
        if status >= 500:
            problems.append(f"{method} {path} after narrowing get-item: {status} {answer[:200]!r}")
        else:
            print(f"{method} {path} (another function's role): {status}")

    for problem in problems:
        print(f"offline IAM check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
