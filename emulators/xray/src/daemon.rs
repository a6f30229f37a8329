//! The daemon: a UDP socket on a loopback port, receiving segment documents into a
//! [`TraceStore`].

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::document::{parse_datagram, DocumentError, Segment, MAX_DOCUMENT_BYTES};
use crate::store::{Trace, TraceStore, TraceSummary};
use crate::trace_header::TraceId;

/// The largest datagram read: a document of the largest size X-Ray accepts, its header line,
/// and some room (a larger datagram is cut short and refused as unreadable).
const MAX_DATAGRAM_BYTES: usize = MAX_DOCUMENT_BYTES + 1024;

/// A running daemon; it stops receiving when dropped.
#[derive(Debug)]
pub struct XrayDaemon {
    address: SocketAddr,
    store: Arc<TraceStore>,
    receiver: JoinHandle<()>,
}

impl XrayDaemon {
    /// Starts on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `address` (port 0 for a free one).
    pub async fn start_on(address: SocketAddr) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(address).await?;
        let address = socket.local_addr()?;
        let store = Arc::new(TraceStore::default());
        let receiving = Arc::clone(&store);
        let receiver = tokio::spawn(async move {
            let mut datagram = vec![0u8; MAX_DATAGRAM_BYTES];
            loop {
                match socket.recv_from(&mut datagram).await {
                    Ok((length, _sender)) => match parse_datagram(&datagram[..length]) {
                        // The store counts the documents it refuses.
                        Ok(segment) => {
                            let _ = receiving.keep(segment);
                        }
                        Err(_) => receiving.refuse(),
                    },
                    // A datagram that could not be received (e.g. an ICMP error reported on
                    // the socket) says nothing about the next one.
                    Err(_) => continue,
                }
            }
        });
        Ok(Self {
            address,
            store,
            receiver,
        })
    }

    /// The UDP address documents are sent to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The environment Lambda gives a function with active tracing, pointing at this daemon:
    /// `AWS_XRAY_DAEMON_ADDRESS` (`host:port`, what X-Ray clients read), its two halves, and
    /// `AWS_XRAY_CONTEXT_MISSING`.
    pub fn lambda_environment(&self) -> Vec<(String, String)> {
        [
            ("AWS_XRAY_DAEMON_ADDRESS", self.address.to_string()),
            ("_AWS_XRAY_DAEMON_ADDRESS", self.address.ip().to_string()),
            ("_AWS_XRAY_DAEMON_PORT", self.address.port().to_string()),
            ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Keeps a document recorded in this process, as if it had been sent to the daemon.
    pub fn record(&self, segment: Segment) -> Result<(), DocumentError> {
        self.store.keep(segment)
    }

    /// Every trace kept, the latest to start first.
    pub fn traces(&self) -> Vec<TraceSummary> {
        self.store.summaries()
    }

    /// One trace's tree, or `None` when none of its documents arrived.
    pub fn trace(&self, id: &TraceId) -> Option<Trace> {
        self.store.trace(id)
    }

    /// How many documents were refused: unreadable datagrams, invalid documents, or documents
    /// beyond a trace's room.
    pub fn refused(&self) -> u64 {
        self.store.refused()
    }
}

impl Drop for XrayDaemon {
    fn drop(&mut self) {
        self.receiver.abort();
    }
}
