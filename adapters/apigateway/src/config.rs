//! The adapter's configuration: one typed struct, read from the environment in one place.

use crate::metrics::Metrics;

/// The variable naming the `cognito:groups` entry that makes a caller an admin.
pub const ADMIN_GROUP_ENV: &str = "ADMIN_GROUP";
/// The variable Lambda sets to the function's name; its presence turns metrics on.
pub const FUNCTION_NAME_ENV: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// Settings of the driving adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `cognito:groups` entry that makes a caller an admin.
    pub admin_group: String,
    /// Where metrics go.
    pub metrics: Metrics,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            admin_group: "admin".to_owned(),
            metrics: Metrics::Off,
        }
    }
}

impl Config {
    /// Reads `ADMIN_GROUP` (default `admin`; an empty value is refused: it would make no one,
    /// or everyone, an admin depending on how groups are written) and turns Embedded Metric
    /// Format metrics on when running as a Lambda function (`AWS_LAMBDA_FUNCTION_NAME` set).
    pub fn from_env() -> Result<Self, String> {
        let admin_group = match std::env::var(ADMIN_GROUP_ENV) {
            Err(std::env::VarError::NotPresent) => Self::default().admin_group,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("{ADMIN_GROUP_ENV} is not valid UTF-8"))
            }
            Ok(group) if group.trim().is_empty() => {
                return Err(format!("{ADMIN_GROUP_ENV} is set but empty"))
            }
            Ok(group) => group.trim().to_owned(),
        };
        let metrics = match std::env::var(FUNCTION_NAME_ENV) {
            Ok(function_name) if !function_name.is_empty() => Metrics::Emf { function_name },
            _ => Metrics::Off,
        };
        Ok(Self {
            admin_group,
            metrics,
        })
    }
}
