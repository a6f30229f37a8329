//! The API reference page of the local stage: `openapi.yaml` in Swagger UI, with a token of the
//! local issuer filled in, so every route can be tried from a browser.
//!
//! Swagger UI is not part of the repository: on the page's first use the stage installs the
//! npm package `swagger-ui-dist` into `.tools/swagger-ui` with the machine's npm, and serves
//! its two files from there.

use std::path::{Path, PathBuf};

use tokio::process::Command;
use tokio::sync::Mutex;

/// The contract the page shows, as committed at the repository root.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// The Swagger UI release the page uses: the pin in `tool-versions/package.json` (read by build.rs).
pub const SWAGGER_UI_VERSION: &str = env!("SWAGGER_UI_VERSION");

/// Whose token the page fills in: the caller of the start-up message's examples.
pub const PAGE_CALLER: &str = "alice";

/// How long the page's token is valid; reloading the page gives a fresh one.
pub const PAGE_TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// The files of `swagger-ui-dist` the page loads, with their content types.
const ASSETS: [(&str, &str); 2] = [
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
];

/// Why Swagger UI is not available.
#[derive(Debug, thiserror::Error)]
#[error(
    "Swagger UI could not be installed into {dir}: {reason}. The docs page needs Node.js's npm \
     (or run: npm install --prefix {dir} swagger-ui-dist@{SWAGGER_UI_VERSION})"
)]
pub struct InstallError {
    dir: String,
    reason: String,
}

/// Swagger UI's files, installed from npm on first use.
#[derive(Debug)]
pub struct SwaggerUi {
    /// The npm prefix: the package lands in `node_modules/swagger-ui-dist` below it.
    prefix: PathBuf,
    /// One install at a time, however many requests arrive while it runs.
    installing: Mutex<()>,
}

impl SwaggerUi {
    /// Swagger UI under the npm prefix `prefix`, e.g. `.tools/swagger-ui`.
    pub fn new(prefix: PathBuf) -> Self {
        Self {
            prefix,
            installing: Mutex::new(()),
        }
    }

    fn package_dir(&self) -> PathBuf {
        self.prefix.join("node_modules").join("swagger-ui-dist")
    }

    fn is_installed(&self) -> bool {
        let dir = self.package_dir();
        ASSETS.iter().all(|(name, _)| dir.join(name).is_file())
    }

    /// Installs the pinned `swagger-ui-dist` when it is not there yet.
    pub async fn ensure_installed(&self) -> Result<(), InstallError> {
        let _one_at_a_time = self.installing.lock().await;
        if self.is_installed() {
            return Ok(());
        }
        let failed = |reason: String| InstallError {
            dir: self.prefix.display().to_string(),
            reason,
        };
        // Its install script only reports download counts: not run.
        let output = Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&self.prefix)
            .args([
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--loglevel=error",
            ])
            .arg(format!("swagger-ui-dist@{SWAGGER_UI_VERSION}"))
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| failed(format!("npm did not run ({e})")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(format!("npm install failed: {}", stderr.trim())));
        }
        if self.is_installed() {
            Ok(())
        } else {
            Err(failed("npm installed no swagger-ui-dist".to_owned()))
        }
    }

    /// One of the page's files, by name, with its content type; `None` for any other name.
    pub async fn asset(&self, name: &str) -> Option<Result<(&'static str, Vec<u8>), InstallError>> {
        let (name, content_type) = ASSETS.iter().find(|(asset, _)| *asset == name)?;
        Some(self.read(name).await.map(|bytes| (*content_type, bytes)))
    }

    async fn read(&self, name: &str) -> Result<Vec<u8>, InstallError> {
        self.ensure_installed().await?;
        let path = self.package_dir().join(name);
        tokio::fs::read(&path).await.map_err(|e| InstallError {
            dir: self.prefix.display().to_string(),
            reason: format!("{} is unreadable ({e})", path.display()),
        })
    }
}

/// `.tools/swagger-ui` in the project (the nearest folder up from `start` holding
/// `routes.json`), or below `start` when there is none.
pub fn default_prefix(start: &Path) -> PathBuf {
    let relative = Path::new(".tools").join("swagger-ui");
    start
        .ancestors()
        .find(|dir| dir.join("routes.json").is_file())
        .map_or_else(|| start.join(&relative), |root| root.join(&relative))
}

/// The page: Swagger UI over `openapi_url`, pre-authorised with `token` when there is one
/// (a stage trusting another issuer has none to give).
pub fn page(assets_url: &str, openapi_url: &str, token: Option<&str>) -> String {
    // JSON string literals are valid JavaScript; `<` is escaped so no `</script>` can appear.
    let js = |value: &str| {
        serde_json::Value::from(value)
            .to_string()
            .replace('<', "\\u003c")
    };
    let token = token.map_or_else(|| "null".to_owned(), js);
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Items API on the local stage</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
const token = {token};
const ui = SwaggerUIBundle({{
  url: {openapi},
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayRequestDuration: true,
  onComplete: () => {{
    if (token) ui.preauthorizeApiKey("bearerAuth", token);
  }},
}});
</script>
</body>
</html>
"##,
        assets = assets_url,
        openapi = js(openapi_url),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_the_document_and_carries_the_token_safely() {
        let html = page("/_local/docs", "/_local/openapi.yaml", Some("a.b.c"));
        assert!(html.contains(r#"src="/_local/docs/swagger-ui-bundle.js""#));
        assert!(html.contains(r#"url: "/_local/openapi.yaml""#));
        assert!(html.contains(r#"const token = "a.b.c";"#));

        let hostile = page("/_local/docs", "/x", Some("</script><script>alert(1)"));
        assert_eq!(hostile.matches("</script>").count(), 2, "{hostile}");
        assert!(page("/_local/docs", "/x", None).contains("const token = null;"));
    }

    #[test]
    fn only_the_pages_own_files_are_served() {
        let ui = SwaggerUi::new(PathBuf::from("/nonexistent"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        for name in ["index.html", "../routes.json", "package.json", ""] {
            assert!(runtime.block_on(ui.asset(name)).is_none(), "{name}");
        }
    }

    #[test]
    fn the_tools_folder_is_at_the_project_root() {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = crate_dir.parent().expect("the workspace root");
        assert_eq!(
            default_prefix(&crate_dir.join("src")),
            root.join(".tools").join("swagger-ui")
        );
    }
}
