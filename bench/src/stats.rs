//! Percentiles of latency samples, taken as the load test takes them (nearest rank on the
//! sorted samples, so every figure is a time that was actually measured), in milliseconds.

use std::time::Duration;

use items_loadtest::Percentiles;
use serde::Serialize;

/// The distribution of a set of samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Summary {
    /// How many samples.
    pub count: usize,
    /// The median.
    pub p50_ms: f64,
    /// The 90th percentile.
    pub p90_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
    /// The slowest sample.
    pub max_ms: f64,
    /// The mean: under a CPU quota the pauses show here and in the tail, not in the median.
    pub mean_ms: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub(crate) fn of(samples: &[Duration]) -> Option<Self> {
        let percentiles = Percentiles::of(samples.to_vec())?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Some(Self {
            count: samples.len(),
            p50_ms: ms(percentiles.p50),
            p90_ms: ms(percentiles.p90),
            p99_ms: ms(percentiles.p99),
            max_ms: ms(percentiles.max),
            mean_ms: ms(samples.iter().sum::<Duration>()) / samples.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn percentiles_are_measured_samples_by_nearest_rank() {
        let samples: Vec<u64> = (1..=100).rev().collect();
        let summary = Summary::of(&millis(&samples)).expect("samples");
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, 50.0);
        assert_eq!(summary.p90_ms, 90.0);
        assert_eq!(summary.p99_ms, 99.0);
        assert_eq!(summary.max_ms, 100.0);
        assert!((summary.mean_ms - 50.5).abs() < 1e-9, "{}", summary.mean_ms);
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_sample() {
        let summary = Summary::of(&millis(&[7, 1, 3])).expect("samples");
        assert_eq!(summary.p50_ms, 3.0);
        assert_eq!(summary.p99_ms, 7.0);
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        let summary = Summary::of(&millis(&[4])).expect("sample");
        assert_eq!(
            (summary.p50_ms, summary.p99_ms, summary.max_ms),
            (4.0, 4.0, 4.0)
        );
    }

    #[test]
    fn no_samples_have_no_summary() {
        assert_eq!(Summary::of(&[]), None);
    }
}
