//! Where log lines (access log, integration errors) go: a terminal stream, nowhere, or a
//! channel a test reads.

use std::io::Write;

use tokio::sync::mpsc::UnboundedSender;

/// A destination for whole lines.
#[derive(Debug, Clone, Default)]
pub enum LineSink {
    /// Standard output (the default).
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
    /// Nowhere.
    Off,
    /// A channel, for tests that read the lines.
    Channel(UnboundedSender<String>),
}

impl LineSink {
    /// Writes one line. A closed pipe or channel must not take the stage down, so a line that
    /// cannot be written is dropped.
    pub fn write(&self, line: &str) {
        match self {
            LineSink::Stdout => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
            LineSink::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            LineSink::Off => {}
            LineSink::Channel(sender) => {
                let _ = sender.send(line.to_owned());
            }
        }
    }
}
