//! A loopback TCP proxy whose upstream can be cut.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

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
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`.
pub struct FaultProxy {
    address: SocketAddr,
    state: Arc<watch::Sender<Outage>>,
    accept_loop: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts the proxy on a free loopback port, passing traffic through.
    pub async fn start(upstream: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (state, _) = watch::channel(Outage::None);
        let state = Arc::new(state);
        let accept_state = Arc::clone(&state);
        let accept_loop = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let outage = accept_state.subscribe();
                tokio::spawn(serve_connection(client, upstream, outage));
            }
        });
        Ok(Self {
            address,
            state,
            accept_loop,
        })
    }

    /// The proxy's address, to use as the client's endpoint.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`, for an SDK endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Starts or ends an outage. Open connections are cut on any change, so every client
    /// meets the new state on its next connection.
    pub fn set(&self, outage: Outage) {
        self.state.send_replace(outage);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn serve_connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut outage: watch::Receiver<Outage>,
) {
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
        Outage::None => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        // Any change of state cuts the open connection: the client must reconnect and meet
        // the new state.
        _ = outage.changed() => {}
    }
}
