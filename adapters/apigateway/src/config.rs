//! A function's configuration: one typed struct, [`FunctionConfig`], read from the environment
//! here and nowhere else. The variables' names are the constants below; whoever starts a
//! function (the local stage, the bench) writes them with [`FunctionConfig::to_env`].

use std::env::VarError;

use items_dynamodb::TableNames;
use items_json::metrics::Metrics;

use crate::cursor_key::{CursorKey, CURSOR_KEY_MIN_BYTES};

/// The variable naming the `cognito:groups` entry that makes a caller an admin.
pub const ADMIN_GROUP_ENV: &str = "ADMIN_GROUP";
/// The variable naming the items table.
pub const ITEMS_TABLE_ENV: &str = "ITEMS_TABLE";
/// The variable naming the idempotency table.
pub const IDEMPOTENCY_TABLE_ENV: &str = "IDEMPOTENCY_TABLE";
pub use items_json::metrics::FUNCTION_NAME_ENV;
/// The variable holding the key listing cursors are sealed with ([`CursorKey`]): the same for
/// every function of a stage, required inside Lambda.
pub const CURSOR_KEY_ENV: &str = "CURSOR_KEY";

/// The admin group when [`ADMIN_GROUP_ENV`] is unset.
const DEFAULT_ADMIN_GROUP: &str = "admin";

/// Settings of the driving adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterConfig {
    /// The `cognito:groups` entry that makes a caller an admin.
    pub admin_group: String,
    /// Where metrics go.
    pub metrics: Metrics,
    /// The key listing cursors are sealed with.
    pub cursor_key: CursorKey,
}

/// The default admin group, no metrics, and a fresh cursor key.
impl Default for AdapterConfig {
    fn default() -> Self {
        Self {
            admin_group: DEFAULT_ADMIN_GROUP.to_owned(),
            metrics: Metrics::Off,
            cursor_key: CursorKey::random(),
        }
    }
}

/// Everything a function is configured with: the adapter's settings and the store's tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The driving adapter's settings.
    pub adapter: AdapterConfig,
    /// The DynamoDB tables.
    pub tables: TableNames,
}

/// A variable that is missing or unusable; the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is unset.
    Missing(&'static str),
    /// A variable is set but empty (or only spaces).
    Empty(&'static str),
    /// A variable is not valid UTF-8.
    NotUnicode(&'static str),
    /// A variable is shorter than the bytes it needs.
    TooShort(&'static str, usize),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(name) => write!(f, "environment variable {name} must be set"),
            Self::Empty(name) => write!(f, "environment variable {name} is set but empty"),
            Self::NotUnicode(name) => write!(f, "environment variable {name} is not valid UTF-8"),
            Self::TooShort(name, bytes) => {
                write!(
                    f,
                    "environment variable {name} must hold at least {bytes} bytes"
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// How the configuration reads one variable: the process environment, or a test's map.
type Variables<'a> = &'a dyn Fn(&'static str) -> Result<String, VarError>;

/// A variable's trimmed value, `None` when unset; an empty value is refused, as it would
/// silently mean something else (no table; no one, or everyone, an admin).
fn optional(var: Variables<'_>, name: &'static str) -> Result<Option<String>, ConfigError> {
    match var(name) {
        Err(VarError::NotPresent) => Ok(None),
        Err(VarError::NotUnicode(_)) => Err(ConfigError::NotUnicode(name)),
        Ok(value) if value.trim().is_empty() => Err(ConfigError::Empty(name)),
        Ok(value) => Ok(Some(value.trim().to_owned())),
    }
}

fn required(var: Variables<'_>, name: &'static str) -> Result<String, ConfigError> {
    optional(var, name)?.ok_or(ConfigError::Missing(name))
}

impl AdapterConfig {
    /// The adapter's settings from the environment: the admin group ([`ADMIN_GROUP_ENV`],
    /// default `admin`), Embedded Metric Format metrics when running as a Lambda function
    /// ([`FUNCTION_NAME_ENV`] set), and the cursor key ([`CURSOR_KEY_ENV`]; required inside
    /// Lambda, where every environment of a listing must open the others' cursors, a fresh one
    /// elsewhere).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_variables(&|name| std::env::var(name))
    }

    fn from_variables(var: Variables<'_>) -> Result<Self, ConfigError> {
        let admin_group =
            optional(var, ADMIN_GROUP_ENV)?.unwrap_or_else(|| DEFAULT_ADMIN_GROUP.to_owned());
        let metrics = Metrics::for_function(var(FUNCTION_NAME_ENV).ok());
        let cursor_key = match optional(var, CURSOR_KEY_ENV)? {
            Some(text) => CursorKey::new(text)
                .ok_or(ConfigError::TooShort(CURSOR_KEY_ENV, CURSOR_KEY_MIN_BYTES))?,
            None if matches!(metrics, Metrics::Emf { .. }) => {
                return Err(ConfigError::Missing(CURSOR_KEY_ENV))
            }
            None => CursorKey::random(),
        };
        Ok(Self {
            admin_group,
            metrics,
            cursor_key,
        })
    }
}

impl FunctionConfig {
    /// A function's configuration from its environment: [`AdapterConfig::from_env`], and the tables
    /// ([`ITEMS_TABLE_ENV`], [`IDEMPOTENCY_TABLE_ENV`], both required).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_variables(&|name| std::env::var(name))
    }

    fn from_variables(var: Variables<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            adapter: AdapterConfig::from_variables(var)?,
            tables: TableNames {
                items: required(var, ITEMS_TABLE_ENV)?,
                idempotency: required(var, IDEMPOTENCY_TABLE_ENV)?,
            },
        })
    }

    /// The variables that give a function this configuration, for whoever starts one. Metrics
    /// are not among them: Lambda itself names the function.
    pub fn to_env(&self) -> [(&'static str, String); 4] {
        [
            (ADMIN_GROUP_ENV, self.adapter.admin_group.clone()),
            (CURSOR_KEY_ENV, self.adapter.cursor_key.text().to_owned()),
            (ITEMS_TABLE_ENV, self.tables.items.clone()),
            (IDEMPOTENCY_TABLE_ENV, self.tables.idempotency.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&'static str, &str)]) -> impl Fn(&'static str) -> Result<String, VarError> {
        let map: HashMap<&str, String> = pairs.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
        move |name| map.get(name).cloned().ok_or(VarError::NotPresent)
    }

    #[test]
    fn what_to_env_writes_reads_back_as_the_same_configuration() {
        let config = FunctionConfig {
            adapter: AdapterConfig {
                admin_group: "operators".to_owned(),
                metrics: Metrics::Off,
                cursor_key: CursorKey::random(),
            },
            tables: TableNames {
                items: "items-prod".to_owned(),
                idempotency: "items-prod-idempotency".to_owned(),
            },
        };
        let written = config.to_env();
        let pairs: Vec<(&'static str, &str)> = written
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        assert_eq!(FunctionConfig::from_variables(&read(&pairs)), Ok(config));
    }

    #[test]
    fn the_tables_are_required_and_the_admin_group_defaults_to_admin() {
        let tables = [(ITEMS_TABLE_ENV, "i"), (IDEMPOTENCY_TABLE_ENV, "k")];
        let config = FunctionConfig::from_variables(&read(&tables)).expect("configured");
        assert_eq!(config.adapter.admin_group, "admin");
        assert_eq!(config.adapter.metrics, Metrics::Off);
        assert_eq!(
            FunctionConfig::from_variables(&read(&tables[1..])),
            Err(ConfigError::Missing(ITEMS_TABLE_ENV))
        );
        assert_eq!(
            FunctionConfig::from_variables(&read(&tables[..1])),
            Err(ConfigError::Missing(IDEMPOTENCY_TABLE_ENV))
        );
    }

    #[test]
    fn an_empty_admin_group_or_table_is_refused() {
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = vec![(ITEMS_TABLE_ENV, "i"), (IDEMPOTENCY_TABLE_ENV, "k")];
            pairs.extend_from_slice(extra);
            FunctionConfig::from_variables(&read(&pairs))
        };
        assert_eq!(
            with(&[(ADMIN_GROUP_ENV, " ")]),
            Err(ConfigError::Empty(ADMIN_GROUP_ENV))
        );
        assert_eq!(
            with(&[(ITEMS_TABLE_ENV, "")]),
            Err(ConfigError::Empty(ITEMS_TABLE_ENV))
        );
        assert_eq!(
            with(&[(ADMIN_GROUP_ENV, " ops ")]).map(|c| c.adapter.admin_group),
            Ok("ops".to_owned())
        );
    }

    #[test]
    fn inside_lambda_the_cursor_key_is_required_and_must_be_long_enough() {
        let in_lambda = |key: Option<&'static str>| {
            let mut pairs = vec![
                (ITEMS_TABLE_ENV, "i"),
                (IDEMPOTENCY_TABLE_ENV, "k"),
                (FUNCTION_NAME_ENV, "list-items"),
            ];
            pairs.extend(key.map(|key| (CURSOR_KEY_ENV, key)));
            FunctionConfig::from_variables(&read(&pairs))
        };
        assert_eq!(in_lambda(None), Err(ConfigError::Missing(CURSOR_KEY_ENV)));
        assert_eq!(
            in_lambda(Some("short")),
            Err(ConfigError::TooShort(CURSOR_KEY_ENV, CURSOR_KEY_MIN_BYTES))
        );
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            in_lambda(Some(key)).map(|c| c.adapter.cursor_key),
            Ok(CursorKey::new(key).expect("long enough"))
        );
    }

    #[test]
    fn metrics_are_on_only_inside_lambda() {
        let tables = [
            (ITEMS_TABLE_ENV, "i"),
            (IDEMPOTENCY_TABLE_ENV, "k"),
            (FUNCTION_NAME_ENV, "get-item"),
            (CURSOR_KEY_ENV, "0123456789abcdef0123456789abcdef"),
        ];
        let config = FunctionConfig::from_variables(&read(&tables)).expect("configured");
        assert_eq!(
            config.adapter.metrics,
            Metrics::Emf {
                function_name: "get-item".to_owned()
            }
        );
    }
}
