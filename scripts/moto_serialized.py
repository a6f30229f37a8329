"""moto's DynamoDB server with one request at a time, so that every write is atomic.

moto checks a write's condition and applies the write in separate steps without a lock, and a
cancelled transaction restores a copy of the table taken before it began. Under concurrent
requests two conditional writes can then both succeed, and a cancelled transaction can erase a
write that landed meanwhile. DynamoDB makes each conditional write and each transaction atomic;
serialising requests gives the local server the same guarantee (concurrent connections still
work: only the handling is serialised).

It is served by waitress rather than moto's own server (werkzeug's), which answers every request
with `Connection: close`: a client would open a new connection per request, where the SDK keeps
its connection to DynamoDB open and reuses it. A function's CPU and Duration per request would
then carry a connect that Lambda does not pay. scripts/moto_offline.py keeps moto's own server
(see `main`).

The rollback of a cancelled transaction also swaps in a copy of the table's stream shard. A
shard iterator taken before the transaction then reads the old shard: it returns the cancelled
transaction's writes as if they had happened, under sequence numbers the next real writes reuse,
and never sees a later write. A stream reader loses records that way. The patch below keeps the
live shard across the rollback, without the cancelled writes, as DynamoDB's stream never holds
them.

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
from moto.dynamodb.models import DynamoDBBackend
import waitress
from werkzeug.serving import run_simple


def keep_stream_shards_across_rollbacks():
    transact_write_items = DynamoDBBackend.transact_write_items

    def transact_keeping_shards(self, transact_items):
        live = {
            name: (table, table.stream_shard, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if table.stream_shard is not None
        }
        try:
            return transact_write_items(self, transact_items)
        except Exception:
            for name, (table, shard, length) in live.items():
                restored = self.tables.get(name)
                if restored is not None and restored is not table:
                    del shard.items[length:]
                    shard.table = restored
                    restored.stream_shard = shard
            raise

    DynamoDBBackend.transact_write_items = transact_keeping_shards


def serialised(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            # The body is produced inside the lock too: a lazy body could read shared state.
            return list(app(environ, start_response))

    return handle


def main(keep_alive: bool = True, outer=lambda app: app) -> None:
    """Serves moto: with keep-alive (waitress), or, for scripts/moto_offline.py, on moto's own
    server. moto checks a request's SigV4 signature against its raw path, which werkzeug passes
    on (`RAW_URI`) and waitress does not; the control plane's paths hold characters a client
    encodes (API Gateway's `$default` stage, ARNs), so those checks need werkzeug. `outer` wraps
    the serialised application (it sees each request before it waits for its turn)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    keep_stream_shards_across_rollbacks()
    app = DomainDispatcherApplication(create_backend_app)
    if not keep_alive:
        run_simple(
            args.host,
            args.port,
            outer(serialised(app)),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        return
    waitress.serve(
        outer(serialised(app)),
        host=args.host,
        port=args.port,
        # Threads read and write connections side by side; the handling is serialised above.
        threads=8,
        # The load tests open many connections at once; an idle one is closed after a minute.
        connection_limit=1000,
        channel_timeout=60,
        _quiet=True,
    )


if __name__ == "__main__":
    main()
