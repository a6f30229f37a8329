//! A fixed-rate load generator for any stage of the items API (`scripts/loadtest URL`).
//!
//! Requests are sent on a schedule fixed in advance (an open-loop generator): the n-th request
//! is due at `start + n / rate` whatever happened to the ones before it, and its latency is
//! measured from that due time. A stage that stalls therefore shows its stall in every request
//! that was due meanwhile, instead of silently slowing the sender down and dropping those
//! requests from the statistics (coordinated omission).

pub mod mix;
pub mod report;
pub mod run;

pub use mix::{request_line, Mix};
pub use report::{Outcome, Percentiles, Report, Sample};
pub use run::{run, Config, LoadError};
