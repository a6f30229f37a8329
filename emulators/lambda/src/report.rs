//! Lambda's `REPORT` line, written after every invocation.

use std::time::Duration;

/// How an invocation ended, as far as the `REPORT` line tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// A response or an error posted by the function.
    Answered,
    /// Killed at the function timeout.
    Timeout,
    /// The process exited or could not start.
    Crashed,
}

/// The figures of one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Report<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) function: &'a str,
    pub(crate) duration: Duration,
    /// Set on a cold start: from process start to its first poll for an event.
    pub(crate) init: Option<Duration>,
    pub(crate) memory_size_mb: u32,
    pub(crate) max_memory_used_mb: Option<u64>,
    pub(crate) ending: Ending,
}

impl Report<'_> {
    /// The line as Lambda writes it (billing counts the init phase of custom runtimes), then
    /// how it ended and the function: one output interleaves every function here,
    /// where CloudWatch would keep them in separate log groups.
    pub(crate) fn line(&self) -> String {
        let duration_ms = milliseconds(self.duration);
        let billed = (duration_ms + self.init.map_or(0.0, milliseconds))
            .ceil()
            .max(1.0);
        let max_memory = self
            .max_memory_used_mb
            .map_or_else(|| "-".to_owned(), |mb| mb.to_string());
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {duration_ms:.2} ms\tBilled Duration: {billed:.0} ms\tMemory Size: {} MB\tMax Memory Used: {max_memory} MB",
            self.request_id, self.memory_size_mb,
        );
        if let Some(init) = self.init {
            line.push_str(&format!("\tInit Duration: {:.2} ms", milliseconds(init)));
        }
        match self.ending {
            Ending::Answered => {}
            Ending::Timeout => line.push_str("\tStatus: timeout"),
            Ending::Crashed => line.push_str("\tStatus: error\tError Type: Runtime.ExitError"),
        }
        line.push_str(&format!("\tFunction: {}", self.function));
        line
    }
}

/// The line Lambda writes before the `REPORT` line of a timed-out invocation.
pub(crate) fn timeout_line(request_id: &str, timeout: Duration) -> String {
    format!(
        "{request_id} Task timed out after {:.2} seconds",
        timeout.as_secs_f64()
    )
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(init: Option<Duration>, ending: Ending) -> String {
        Report {
            request_id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
            function: "hello",
            duration: Duration::from_micros(12_345),
            init,
            memory_size_mb: 128,
            max_memory_used_mb: Some(18),
            ending,
        }
        .line()
    }

    #[test]
    fn a_cold_start_reports_its_init_duration_and_bills_it() {
        let line = report(Some(Duration::from_micros(80_500)), Ending::Answered);
        assert_eq!(
            line,
            "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 12.35 ms\tBilled Duration: 93 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 80.50 ms\tFunction: hello"
        );
    }

    #[test]
    fn a_warm_invocation_bills_only_its_duration_rounded_up() {
        let line = report(None, Ending::Answered);
        assert!(line.contains("\tBilled Duration: 13 ms\t"), "{line}");
        assert!(!line.contains("Init Duration"), "{line}");
    }

    #[test]
    fn timeouts_and_crashes_say_so_before_the_function() {
        assert!(report(None, Ending::Timeout).ends_with("\tStatus: timeout\tFunction: hello"));
        assert!(report(None, Ending::Crashed)
            .ends_with("\tStatus: error\tError Type: Runtime.ExitError\tFunction: hello"));
        assert_eq!(
            timeout_line("abc", Duration::from_millis(300)),
            "abc Task timed out after 0.30 seconds"
        );
    }
}
