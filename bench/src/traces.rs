//! What traces cost a function: each route's function with traces off (no daemon address, as
//! without active tracing) and on (a daemon address, every invocation sampled, each span sent
//! to a UDP socket the bench drains as the X-Ray daemon would), measured in the same run.
//! Cold init over fresh processes of each, alternating; warm Duration over two processes
//! answering alternately, so both see the same machine. With the zip sizes beside them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use items_apigateway::Route;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::function::{FunctionProcess, Launch};
use crate::latency::{cold_run, Workload};
use crate::sizes::ZIP_TARGET_BYTES;
use crate::stats::Summary;
use crate::BoxError;

/// The largest warm p50 Duration with traces on, as a multiple of off.
pub(crate) const MAX_WARM_P50_RATIO: f64 = 1.05;

/// A UDP socket standing in for the X-Ray daemon: it counts the segment documents it gets.
pub(crate) struct Daemon {
    address: SocketAddr,
    documents: Arc<AtomicUsize>,
    drain: JoinHandle<()>,
}

impl Daemon {
    /// Binds a free loopback port and drains it until dropped.
    pub(crate) async fn start() -> Result<Self, BoxError> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let address = socket.local_addr()?;
        let documents = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&documents);
        let drain = tokio::spawn(async move {
            let mut buffer = vec![0u8; 65_536];
            while socket.recv(&mut buffer).await.is_ok() {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self {
            address,
            documents,
            drain,
        })
    }

    /// `host:port`, for `AWS_XRAY_DAEMON_ADDRESS`.
    pub(crate) fn address(&self) -> String {
        self.address.to_string()
    }

    fn documents(&self) -> usize {
        self.documents.load(Ordering::Relaxed)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.drain.abort();
    }
}

/// One function with traces off and on.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TracesFunction {
    /// The function.
    pub function: String,
    /// Its zip, when the sizes are known (the same binary serves both: traces are switched
    /// by the environment).
    pub zip_bytes: Option<u64>,
    /// Cold init (process start to first poll), traces off.
    pub init_off: Summary,
    /// Cold init, traces on.
    pub init_on: Summary,
    /// `init_on.p50 / init_off.p50`.
    pub init_p50_ratio: f64,
    /// Warm Duration, traces off.
    pub warm_off: Summary,
    /// Warm Duration, traces on.
    pub warm_on: Summary,
    /// `warm_on.p50 / warm_off.p50`.
    pub warm_p50_ratio: f64,
    /// Segment documents the daemon received per traced warm invocation (the handler's
    /// subsegment and one per AWS call): proof that the traces were sent.
    pub documents_per_invocation: f64,
}

/// Measures `launch` (serving `kind`) with traces off and on.
pub(crate) async fn measure(
    launch: &Launch,
    kind: Route,
    workload: &mut Workload,
    cold_runs: usize,
    warm_up: usize,
    requests: usize,
    zip_bytes: Option<u64>,
) -> Result<TracesFunction, BoxError> {
    let daemon = Daemon::start().await?;
    let traced = launch.traced(&daemon.address());
    let (mut init_off, mut init_on) = (Vec::new(), Vec::new());
    for run in 0..cold_runs * 2 {
        let (which, inits) = if run % 2 == 0 {
            (launch, &mut init_off)
        } else {
            (&traced, &mut init_on)
        };
        inits.push(cold_run(which, kind, workload).await?.init);
    }

    let mut off = FunctionProcess::start(launch).await?;
    let mut on = match FunctionProcess::start(&traced).await {
        Ok(process) => process,
        Err(error) => {
            off.stop().await;
            return Err(error);
        }
    };
    let outcome = alternate(
        &mut off, &mut on, kind, workload, warm_up, requests, &daemon,
    )
    .await;
    off.stop().await;
    on.stop().await;
    let (warm_off, warm_on, documents) = outcome?;

    let summary = |samples: &[Duration]| Summary::of(samples).ok_or("nothing measured");
    let (init_off, init_on) = (summary(&init_off)?, summary(&init_on)?);
    let (warm_off, warm_on) = (summary(&warm_off)?, summary(&warm_on)?);
    Ok(TracesFunction {
        function: launch.name.clone(),
        zip_bytes,
        init_p50_ratio: init_on.p50_ms / init_off.p50_ms,
        warm_p50_ratio: warm_on.p50_ms / warm_off.p50_ms,
        init_off,
        init_on,
        warm_off,
        warm_on,
        documents_per_invocation: documents as f64 / requests.max(1) as f64,
    })
}

/// Warm requests to both processes, alternating which goes first; the Durations of each and
/// the documents the traced one sent while measured.
async fn alternate(
    off: &mut FunctionProcess,
    on: &mut FunctionProcess,
    kind: Route,
    workload: &mut Workload,
    warm_up: usize,
    requests: usize,
    daemon: &Daemon,
) -> Result<(Vec<Duration>, Vec<Duration>, usize), BoxError> {
    let (mut durations_off, mut durations_on) = (Vec::new(), Vec::new());
    let mut documents_before = 0;
    for n in 0..warm_up + requests {
        if n == warm_up {
            // Documents still in flight from the warm-up are few next to the measured ones.
            documents_before = daemon.documents();
        }
        let measured = n >= warm_up;
        for first_off in [n % 2 == 0, n % 2 == 1] {
            let call = workload.next_call(kind)?;
            let (process, durations) = if first_off {
                (&mut *off, &mut durations_off)
            } else {
                (&mut *on, &mut durations_on)
            };
            let answer = workload.send(process, &call).await?;
            if measured {
                durations.push(answer.duration);
            }
        }
    }
    // Let the last datagrams arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok((
        durations_off,
        durations_on,
        daemon.documents().saturating_sub(documents_before),
    ))
}

/// The traces section of the report.
pub(crate) fn render(functions: &[TracesFunction]) -> String {
    let mut out = String::from(
        "Traces off / on (same binary; on = AWS_XRAY_DAEMON_ADDRESS set, every invocation \
         sampled)\n",
    );
    out.push_str(&format!(
        "{:<20} {:>8} {:>10} {:>10} {:>7} {:>10} {:>10} {:>7} {:>6}\n",
        "function", "zip MB", "init off", "init on", "x", "warm off", "warm on", "x", "docs"
    ));
    for f in functions {
        out.push_str(&format!(
            "{:<20} {:>8} {:>8.2}ms {:>8.2}ms {:>6.2}x {:>8.2}ms {:>8.2}ms {:>6.3}x {:>6.1}\n",
            f.function,
            f.zip_bytes
                .map_or("-".to_owned(), |bytes| format!("{:.2}", bytes as f64 / 1e6)),
            f.init_off.p50_ms,
            f.init_on.p50_ms,
            f.init_p50_ratio,
            f.warm_off.p50_ms,
            f.warm_on.p50_ms,
            f.warm_p50_ratio,
            f.documents_per_invocation,
        ));
    }
    let zips_ok = functions
        .iter()
        .all(|f| f.zip_bytes.is_none_or(|bytes| bytes < ZIP_TARGET_BYTES));
    let warm_ok = functions
        .iter()
        .all(|f| f.warm_p50_ratio <= MAX_WARM_P50_RATIO);
    out.push_str(&format!(
        "targets: every zip under {} MB: {}; warm p50 on/off <= {MAX_WARM_P50_RATIO}x: {}\n",
        ZIP_TARGET_BYTES as f64 / 1e6,
        if zips_ok { "met" } else { "MISSED" },
        if warm_ok { "met" } else { "MISSED" },
    ));
    out
}
