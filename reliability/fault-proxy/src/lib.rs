//! A loopback proxy in front of a DynamoDB-compatible server whose upstream can be cut, which
//! can lose the answers to writes that landed, and which counts the requests it sees.
//!
//! [`FaultProxy`] stands between a client and the server and can take the server away on
//! demand: refuse connections (as a stopped server does) or swallow traffic (as a network
//! partition does). The server keeps its data, so a test can check after the outage that every
//! acknowledged write survived, which a restarted in-memory server could not show.
//!
//! It also reads each request (HTTP/1, as the SDK sends it): it counts requests by DynamoDB
//! operation, answers them with faults the SDK retries (throttling, transaction conflicts), and
//! can lose the answer to a write the server has applied, by holding it past the client's
//! attempt timeout or dropping the connection, so the client sends a write that already landed
//! again.
//!
//! A crate of its own, with no dev-dependencies, so that the reliability suite and the
//! end-to-end traces test use it without changing how each other's dependencies resolve.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does to traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// Traffic flows to the upstream server.
    None,
    /// New connections are accepted and closed at once: the client sees resets, as when the
    /// server process is gone.
    Refuse,
    /// New connections are accepted but never answered: the client sees timeouts, as in a
    /// network partition.
    Blackhole,
    /// Every request is answered `ThrottlingException` without reaching the server, as a
    /// table over its throughput does: a failure the SDK retries.
    Throttled,
    /// Every `TransactWriteItems` is answered as cancelled by a concurrent transaction
    /// (`TransactionConflict`) without reaching the server; other requests pass.
    TransactionConflict,
    /// Every `TransactWriteItems` is answered as cancelled because an item was throttled
    /// (`ThrottlingError`), as a hot partition does to a transaction; other requests pass.
    TransactionThrottled,
}

/// How the answer to a write that reached the server is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// The server's answer is held back this long (longer than the client's attempt timeout,
    /// so it gives up and sends the write again), as a store that stalls after applying it.
    Held(Duration),
    /// The connection is closed once the server has answered, before the answer is passed
    /// on, as a connection dropped after the request was sent.
    Dropped,
}

/// DynamoDB's answer to a throttled request.
const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;

/// The DynamoDB operations that change data.
const WRITE_OPERATIONS: [&str; 4] = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"];

/// A proxy on 127.0.0.1 in front of `upstream`.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

/// What every connection of the proxy reads and updates.
struct Shared {
    outage: watch::Sender<Outage>,
    /// Answers to writes still to lose, and how.
    lost_answers: Mutex<(u32, LostAnswer)>,
    /// Writes still to answer `ThrottlingException` without passing them on.
    throttled_writes: Mutex<u32>,
    /// Requests seen, by DynamoDB operation (`X-Amz-Target`), refused or faulted ones included.
    requests: Mutex<BTreeMap<String, u32>>,
}

impl FaultProxy {
    /// Starts the proxy on a free loopback port, passing traffic through.
    pub async fn start(upstream: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            outage: watch::channel(Outage::None).0,
            lost_answers: Mutex::new((0, LostAnswer::Dropped)),
            throttled_writes: Mutex::new(0),
            requests: Mutex::new(BTreeMap::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_loop = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve_connection(
                    client,
                    upstream,
                    Arc::clone(&accept_shared),
                ));
            }
        });
        Ok(Self {
            address,
            shared,
            accept_loop,
        })
    }

    /// Starts the proxy in front of the server at `endpoint` (`http://IP:PORT`, as
    /// `AWS_ENDPOINT_URL_DYNAMODB` names a local server; `localhost` is taken as 127.0.0.1).
    pub async fn in_front_of(endpoint: &str) -> io::Result<Self> {
        let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let upstream = authority
            .parse()
            .or_else(|_| authority.replace("localhost", "127.0.0.1").parse())
            .map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{endpoint} is not http://IP:PORT: {e}"),
                )
            })?;
        Self::start(upstream).await
    }

    /// The proxy's address, to use as the client's endpoint.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`, for an SDK endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Starts or ends an outage. A connection-level outage (`Refuse`, `Blackhole`) cuts the
    /// open connections, so every client meets it on its next connection. The others apply
    /// from the next request on each open connection, as DynamoDB answers a throttled request
    /// on the connection it came on: a client's kept-alive connection is not cut under it, so
    /// none of its attempts is lost to a connection closed between two requests.
    pub fn set(&self, outage: Outage) {
        self.shared.outage.send_replace(outage);
    }

    /// Loses the answers to the next `count` writes (`PutItem`, `UpdateItem`, `DeleteItem`,
    /// `TransactWriteItems`) after the server has applied them, so the client cannot know
    /// they landed and sends them again. Reads and later writes pass.
    pub fn lose_write_answers(&self, count: u32, how: LostAnswer) {
        *lock(&self.shared.lost_answers) = (count, how);
    }

    /// Answers the next `count` writes `ThrottlingException` without passing them on, as a
    /// throttled table does: DynamoDB applied none of them, and the client knows it.
    pub fn throttle_writes(&self, count: u32) {
        *lock(&self.shared.throttled_writes) = count;
    }

    /// How many requests of each DynamoDB operation reached the proxy since it started or
    /// since [`FaultProxy::reset_counts`], faulted ones included.
    pub fn requests(&self) -> BTreeMap<String, u32> {
        lock(&self.shared.requests).clone()
    }

    /// All requests counted, of every operation.
    pub fn total_requests(&self) -> u32 {
        lock(&self.shared.requests).values().sum()
    }

    /// Starts counting from zero.
    pub fn reset_counts(&self) {
        lock(&self.shared.requests).clear();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// The proxy's state stays usable when a test thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn count(&self, operation: &str) {
        *lock(&self.requests)
            .entry(operation.to_owned())
            .or_default() += 1;
    }

    /// How to lose this write's answer, if one is still to be lost.
    /// Whether this write is one of those to throttle (and counts it off).
    fn take_throttled_write(&self) -> bool {
        let mut left = lock(&self.throttled_writes);
        let throttled = *left > 0;
        *left = left.saturating_sub(1);
        throttled
    }

    fn take_lost_answer(&self) -> Option<LostAnswer> {
        let mut lost = lock(&self.lost_answers);
        if lost.0 == 0 {
            return None;
        }
        lost.0 -= 1;
        Some(lost.1)
    }
}

async fn serve_connection(mut client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut outage = shared.outage.subscribe();
    let current = *outage.borrow_and_update();
    match current {
        Outage::Refuse => {
            let _ = client.shutdown().await;
            return;
        }
        Outage::Blackhole => {
            // Hold the connection open, say nothing, until the outage ends or the client leaves.
            let _ = outage.wait_for(|o| *o != Outage::Blackhole).await;
            return;
        }
        Outage::None
        | Outage::Throttled
        | Outage::TransactionConflict
        | Outage::TransactionThrottled => {}
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let Ok((sender, server_connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(server)).await
    else {
        return;
    };
    tokio::spawn(server_connection);
    let sender = Arc::new(tokio::sync::Mutex::new(sender));
    let service = service_fn(move |request| {
        let (sender, shared) = (Arc::clone(&sender), Arc::clone(&shared));
        async move {
            let outage = *shared.outage.borrow();
            relay(request, outage, &sender, &shared).await
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(client), service);
    tokio::select! {
        _ = connection => {}
        // A connection-level outage cuts the open connection: the client must reconnect and
        // meet it. The other states reach each request on the connection as it comes.
        _ = outage.wait_for(|o| matches!(o, Outage::Refuse | Outage::Blackhole)) => {}
    }
}

/// Why a request got no answer; hyper closes the connection on it.
#[derive(Debug, thiserror::Error)]
enum Unanswered {
    #[error("the answer to a write that reached the server was dropped on purpose")]
    Dropped,
    #[error("the upstream server failed: {0}")]
    Upstream(#[from] hyper::Error),
}

/// Passes one request to the server (or answers it with the outage's fault) and its answer
/// back, unless this write's answer is to be lost.
async fn relay(
    request: Request<Incoming>,
    outage: Outage,
    sender: &tokio::sync::Mutex<SendRequest<Incoming>>,
    shared: &Shared,
) -> Result<Response<Full<Bytes>>, Unanswered> {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned();
    shared.count(&operation);
    let throttled_write =
        WRITE_OPERATIONS.contains(&operation.as_str()) && shared.take_throttled_write();
    match outage {
        _ if throttled_write => return Ok(dynamodb_error(THROTTLED)),
        Outage::Throttled => return Ok(dynamodb_error(THROTTLED)),
        Outage::TransactionConflict if operation == "TransactWriteItems" => {
            return Ok(dynamodb_error(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict, None]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"None"}]}"#,
            ))
        }
        Outage::TransactionThrottled if operation == "TransactWriteItems" => {
            return Ok(dynamodb_error(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError, None]","CancellationReasons":[{"Code":"ThrottlingError","Message":"Throughput exceeds the current capacity for one or more global secondary indexes."},{"Code":"None"}]}"#,
            ))
        }
        _ => {}
    }
    let response = sender.lock().await.send_request(request).await?;
    let (parts, body) = response.into_parts();
    // The whole answer is read first: once it is here, the server has applied the write.
    let body = body.collect().await?.to_bytes();
    if WRITE_OPERATIONS.contains(&operation.as_str()) {
        match shared.take_lost_answer() {
            Some(LostAnswer::Dropped) => return Err(Unanswered::Dropped),
            Some(LostAnswer::Held(delay)) => tokio::time::sleep(delay).await,
            None => {}
        }
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// A DynamoDB error answer: status 400 with the JSON body the SDK parses.
fn dynamodb_error(body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}
