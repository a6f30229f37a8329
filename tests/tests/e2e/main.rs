//! The end-to-end suite: the whole API over real HTTP, as a client sees it, against a local
//! stage this binary starts (in-process functions on the in-memory store) or any stage named by
//! `E2E_BASE_URL`. Every response is checked against `openapi.yaml`.
//!
//! Each test works in categories and on items only it made, so the suite also runs against a
//! stage that holds other data, and its tests run in parallel.
//!
//! Not here: `503` (store throttled or unreachable) and `500` cannot be caused over HTTP on
//! demand. The driving adapter's tests map every store failure to them, and the reliability
//! suite takes the store away under a running stage.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod auth;
mod compression;
mod cors;
mod events;
mod gateway;
mod items;
mod listing;
mod patch;
mod preconditions;
mod requests;
mod support;
mod traces;
