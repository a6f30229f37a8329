//! Reads the Swagger UI version the docs page installs from the project's one list of tool pins,
//! `tool-versions/package.json` (which Dependabot updates), into `SWAGGER_UI_VERSION`.

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::print_stdout)]

use std::path::Path;

const PINS: &str = "../tool-versions/package.json";
const PACKAGE: &str = "\"swagger-ui-dist\"";

fn main() {
    println!("cargo::rerun-if-changed={PINS}");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let pins = match std::fs::read_to_string(Path::new(&manifest_dir).join(PINS)) {
        Ok(pins) => pins,
        Err(error) => fail(&format!("cannot read {PINS}: {error}")),
    };
    match pinned_version(&pins) {
        Some(version) => println!("cargo::rustc-env=SWAGGER_UI_VERSION={version}"),
        None => fail(&format!(
            "{PINS} pins no exact version of {PACKAGE} (\"swagger-ui-dist\": \"X.Y.Z\")"
        )),
    }
}

/// The exact version in `"swagger-ui-dist": "X.Y.Z"`, if that is how the file pins it.
fn pinned_version(pins: &str) -> Option<&str> {
    let after_name = &pins[pins.find(PACKAGE)? + PACKAGE.len()..];
    let value = after_name.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    let version = &value[..value.find('"')?];
    let exact = version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c));
    exact.then_some(version)
}

fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1)
}
