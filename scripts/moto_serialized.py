"""moto's DynamoDB server with one request at a time, so that every write is atomic.

moto checks a write's condition and applies the write in separate steps without a lock, and a
cancelled transaction restores a copy of the table taken before it began. Under concurrent
requests two conditional writes can then both succeed, and a cancelled transaction can erase a
write that landed meanwhile. DynamoDB makes each conditional write and each transaction atomic;
serialising requests gives the local server the same guarantee (HTTP keep-alive and concurrent
connections still work: only the handling is serialised).

    python moto_serialized.py --host 127.0.0.1 --port PORT
"""

import argparse
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def serialised(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            # The body is produced inside the lock too: a lazy body could read shared state.
            return list(app(environ, start_response))

    return handle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        serialised(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
