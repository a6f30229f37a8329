//! Serving a gateway (with any routes an embedder puts in front of it) over HTTP.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running HTTP server; stop it with [`Server::shutdown`].
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Serves `app` on `listener` in a background task, with each client's address available to
/// handlers (the gateway needs it for `sourceIp` and access logs). Must run inside a tokio
/// runtime.
pub fn serve(listener: TcpListener, app: Router) -> std::io::Result<Server> {
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let graceful = axum::serve(listener, service).with_graceful_shutdown(async {
            // A dropped sender also stops the server.
            let _ = stopped.await;
        });
        // Serving only ends with an accept-loop error, which nothing here can repair.
        let _ = graceful.await;
    });
    Ok(Server {
        address,
        stop,
        task,
    })
}

impl Server {
    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops accepting requests and waits for in-flight ones to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        // The task only ends by the signal above; a join error means it panicked, and there
        // is nothing left to stop then.
        let _ = self.task.await;
    }
}
