//! The adapter's configuration, from the environment as Lambda provides it.

/// Settings of the driving adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `cognito:groups` entry that makes a caller an admin.
    pub admin_group: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            admin_group: "admin".to_owned(),
        }
    }
}

impl Config {
    /// Reads `ADMIN_GROUP` (default `admin`). An empty value is refused: it would make no one,
    /// or everyone, an admin depending on how groups are written.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("ADMIN_GROUP") {
            Err(std::env::VarError::NotPresent) => Ok(Self::default()),
            Err(std::env::VarError::NotUnicode(_)) => Err("ADMIN_GROUP is not valid UTF-8".into()),
            Ok(group) if group.trim().is_empty() => Err("ADMIN_GROUP is set but empty".into()),
            Ok(group) => Ok(Self {
                admin_group: group.trim().to_owned(),
            }),
        }
    }
}
