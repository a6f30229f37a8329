//! A server that stalls once: every request due during the stall must show the stall in its
//! latency, even though only one request was in flight at a time and was answered fast once
//! sent. A closed-loop generator would report a single slow request here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use items_loadtest::{run, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const STALL: Duration = Duration::from_millis(300);

/// Answers every request like the API would, stalling the first GET of an item once `armed`.
async fn serve(listener: TcpListener, armed: Arc<AtomicBool>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, Arc::clone(&armed)));
    }
}

async fn connection(mut stream: TcpStream, armed: Arc<AtomicBool>) {
    let mut buffer = Vec::new();
    loop {
        let Some(head_end) = find(&buffer, b"\r\n\r\n") else {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() < head_end + 4 + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            continue;
        }
        buffer.drain(..head_end + 4 + length);
        let (status, body) = match head.split_whitespace().next() {
            Some("post") => (
                "201 Created",
                r#"{"id":"11111111-1111-4111-8111-111111111111"}"#,
            ),
            Some("delete") => ("204 No Content", ""),
            _ => ("200 OK", r#"{"items":[],"next_cursor":null}"#),
        };
        if head.starts_with("get /items/") && armed.swap(false, Ordering::SeqCst) {
            tokio::time::sleep(STALL).await;
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_every_request_due_during_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let armed = Arc::new(AtomicBool::new(true));
    tokio::spawn(serve(listener, Arc::clone(&armed)));

    let report = run(Config {
        url,
        token: "token".to_owned(),
        api_key: None,
        rate: 100.0,
        duration: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
        max_in_flight: 1,
        seed_items: 2,
    })
    .await
    .unwrap();

    assert_eq!(
        report.samples.len(),
        100,
        "every scheduled request is answered"
    );
    assert_eq!(report.failed(), 0, "{}", report.to_markdown());
    // ~30 requests were due during the stall; each waited for it to end.
    let delayed = report
        .samples
        .iter()
        .filter(|s| s.latency >= STALL / 3)
        .count();
    assert!(delayed >= 10, "only {delayed} requests show the stall");
    // Yet only the stalled request itself was slow to serve.
    let slow_to_serve = report
        .samples
        .iter()
        .filter(|s| s.service_time >= STALL / 2)
        .count();
    assert_eq!(slow_to_serve, 1);
}
