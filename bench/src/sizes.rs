//! Bootstrap and zip sizes, as `scripts/bench` measured them when it packaged the functions
//! (arm64 Lambda zips from cargo-lambda, or the host binaries zipped with deflate).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BoxError;

/// Every zip under this many bytes (the bench's target).
pub(crate) const ZIP_TARGET_BYTES: u64 = 3_000_000;

/// The packages of every function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Packages {
    /// What the zips hold, e.g. `arm64 (cargo-lambda)` or `x86_64 host binary (zipfile deflate)`.
    pub kind: String,
    /// Sizes by function name.
    pub functions: BTreeMap<String, PackageSize>,
}

/// One function's package.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct PackageSize {
    /// The stripped `bootstrap` executable.
    pub bootstrap_bytes: u64,
    /// The deployment zip.
    pub zip_bytes: u64,
}

impl Packages {
    /// Reads the sizes file `scripts/bench` writes.
    pub(crate) fn read(path: &Path) -> Result<Self, BoxError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e} (scripts/bench writes it)", path.display()))?;
        Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
    }
}
