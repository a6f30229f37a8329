//! Response compression on a large page: the list function answering `GET /items?limit=100`
//! with and without `Accept-Encoding: gzip`, request by request in two processes, so the CPU
//! each mode costs is that process's own.

use std::io::Read;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::read::GzDecoder;
use serde::Serialize;
use serde_json::Value;

use crate::events::{ApiCall, EventFactory, Listing};
use crate::function::{FunctionProcess, Launch};
use crate::stats::Summary;
use crate::BoxError;

/// One mode's figures.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EncodingFigures {
    /// `content-encoding` of the response, if any.
    pub content_encoding: Option<String>,
    /// Body bytes the client receives (after API Gateway decodes base64).
    pub body_bytes: usize,
    /// Bytes of the body field in the function's response (base64 when compressed).
    pub payload_bytes: usize,
    /// The function's Duration.
    pub duration: Summary,
    /// CPU time per request of the process serving this mode, in microseconds.
    pub cpu_per_request_us: Option<f64>,
}

/// The compression figures of one page size.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CompressionRun {
    /// The page size asked for.
    pub limit: u32,
    /// Items on the page.
    pub items: usize,
    /// Without `Accept-Encoding`.
    pub plain: EncodingFigures,
    /// With `Accept-Encoding: gzip, deflate, br`.
    pub gzip: EncodingFigures,
}

struct Mode {
    listing: Listing,
    process: FunctionProcess,
    durations: Vec<std::time::Duration>,
    cpu_before: Option<std::time::Duration>,
    last: Option<(Option<String>, Vec<u8>, usize)>,
}

/// The decoded body of a proxy response, its payload size and content encoding.
fn decoded_body(response: &Value) -> Result<(Option<String>, Vec<u8>, usize), BoxError> {
    let body = response["body"].as_str().unwrap_or_default();
    let encoding = response["headers"]["content-encoding"]
        .as_str()
        .map(str::to_owned);
    let bytes = if response["isBase64Encoded"] == Value::Bool(true) {
        STANDARD.decode(body)?
    } else {
        body.as_bytes().to_vec()
    };
    Ok((encoding, bytes, body.len()))
}

/// The JSON a body holds, gunzipped first when it says gzip.
fn page_json(encoding: Option<&str>, bytes: &[u8]) -> Result<Value, BoxError> {
    if encoding == Some("gzip") {
        let mut text = Vec::new();
        GzDecoder::new(bytes).read_to_end(&mut text)?;
        Ok(serde_json::from_slice(&text)?)
    } else {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// Sends `warm_up` and then `requests` listings of `limit` items to each mode, alternating.
pub(crate) async fn measure(
    launch: &Launch,
    events: &EventFactory,
    limit: u32,
    warm_up: usize,
    requests: usize,
) -> Result<CompressionRun, BoxError> {
    let mut modes = Vec::new();
    for gzip in [false, true] {
        modes.push(Mode {
            listing: Listing { limit, gzip },
            process: FunctionProcess::start(launch).await?,
            durations: Vec::with_capacity(requests),
            cpu_before: None,
            last: None,
        });
    }
    let outcome = run(&mut modes, events, warm_up, requests).await;
    let mut figures = Vec::new();
    for mode in modes {
        let cpu = mode
            .process
            .cpu_time()
            .zip(mode.cpu_before)
            .and_then(|(after, before)| after.checked_sub(before))
            .map(|used| used.as_secs_f64() * 1e6 / requests.max(1) as f64);
        mode.process.stop().await;
        figures.push((mode.durations, mode.last, cpu));
    }
    outcome?;
    let mut summaries = Vec::new();
    let mut pages = Vec::new();
    for (durations, last, cpu) in figures {
        let (encoding, bytes, payload_bytes) = last.ok_or("no listing answered")?;
        pages.push(page_json(encoding.as_deref(), &bytes)?);
        summaries.push(EncodingFigures {
            content_encoding: encoding,
            body_bytes: bytes.len(),
            payload_bytes,
            duration: Summary::of(&durations).ok_or("no listing measured")?,
            cpu_per_request_us: cpu,
        });
    }
    let items = pages[0]["items"].as_array().map_or(0, Vec::len);
    if pages[1]["items"].as_array().map_or(0, Vec::len) != items {
        return Err("the gzip page holds other items than the plain one".into());
    }
    let gzip = summaries.pop().ok_or("no gzip figures")?;
    let plain = summaries.pop().ok_or("no plain figures")?;
    Ok(CompressionRun {
        limit,
        items,
        plain,
        gzip,
    })
}

async fn run(
    modes: &mut [Mode],
    events: &EventFactory,
    warm_up: usize,
    requests: usize,
) -> Result<(), BoxError> {
    for n in 0..warm_up + requests {
        if n == warm_up {
            for mode in modes.iter_mut() {
                mode.cpu_before = mode.process.cpu_time();
            }
        }
        // Alternate which mode goes first.
        let order: [usize; 2] = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for index in order {
            let mode = &mut modes[index];
            let call = ApiCall::List(mode.listing);
            let answer = mode.process.invoke(events.event(&call)?).await?;
            call.check_status(&answer.response)?;
            if n >= warm_up {
                mode.durations.push(answer.duration);
            }
            mode.last = Some(decoded_body(&answer.response)?);
        }
    }
    Ok(())
}
