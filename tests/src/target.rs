//! The API under test: a deployed (or separately started) stage named by `E2E_BASE_URL`, or a
//! local stage this process starts itself, in-process on the in-memory store.
//!
//! The local stage runs on its own thread with its own tokio runtime for the whole test binary,
//! so every test (each with its own `#[tokio::test]` runtime) talks to the same stage over HTTP,
//! exactly as it would to a deployed one.

use std::sync::{mpsc, OnceLock};

use local_stage::{LineSink, LocalIssuer, StageConfig};

/// The local stage's CORS configuration allows any origin; this one stands for a web app.
pub const DEFAULT_CORS_ORIGIN: &str = "https://app.example.com";

/// Where the suite sends its requests, and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// The stage's base URL without a trailing slash, e.g. `http://127.0.0.1:3000`.
    pub base_url: String,
    /// A token of an ordinary caller.
    pub user_a: String,
    /// A token of another ordinary caller.
    pub user_b: String,
    /// A token of an admin.
    pub admin: String,
    /// An origin the stage's CORS configuration allows (`E2E_CORS_ORIGIN`).
    pub cors_origin: String,
    /// The issuer of the local stage this process started; `None` for any other stage.
    local_issuer: Option<LocalIssuer>,
}

/// Why there is no target to test.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TargetError {
    /// `E2E_BASE_URL` is set but a token variable is not.
    #[error("E2E_BASE_URL is set, so {0} must be set too (a token for that caller)")]
    MissingToken(&'static str),
    /// The local stage did not start.
    #[error("the local stage did not start: {0}")]
    Stage(String),
}

static SHARED: OnceLock<Result<Target, TargetError>> = OnceLock::new();

impl Target {
    /// The one target of this test binary, set up on first use from the environment.
    pub fn shared() -> Result<&'static Target, &'static TargetError> {
        SHARED.get_or_init(Target::from_env).as_ref()
    }

    /// `E2E_BASE_URL` with `E2E_TOKEN_USER_A`, `E2E_TOKEN_USER_B` and `E2E_TOKEN_ADMIN`; or,
    /// without `E2E_BASE_URL`, a local stage started now with tokens from its issuer.
    pub fn from_env() -> Result<Target, TargetError> {
        let cors_origin =
            non_empty_env("E2E_CORS_ORIGIN").unwrap_or_else(|| DEFAULT_CORS_ORIGIN.to_owned());
        let Some(base_url) = non_empty_env("E2E_BASE_URL") else {
            return start_local_stage(cors_origin);
        };
        let token = |name: &'static str| non_empty_env(name).ok_or(TargetError::MissingToken(name));
        Ok(Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            user_a: token("E2E_TOKEN_USER_A")?,
            user_b: token("E2E_TOKEN_USER_B")?,
            admin: token("E2E_TOKEN_ADMIN")?,
            cors_origin,
            local_issuer: None,
        })
    }

    /// The URL of `path` (which starts with `/`) on the stage.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The local stage's issuer, to sign unusual tokens (expired, another audience); only when
    /// this process started the stage, since another stage's issuer key is not at hand.
    pub fn local_issuer(&self) -> Option<&LocalIssuer> {
        self.local_issuer.as_ref()
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Starts a quiet local stage on a thread that keeps it running until the process ends.
fn start_local_stage(cors_origin: String) -> Result<Target, TargetError> {
    let (ready, started) = mpsc::channel::<Result<Target, TargetError>>();
    let spawned = std::thread::Builder::new()
        .name("e2e-local-stage".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(TargetError::Stage(format!("no tokio runtime: {e}"))));
                    return;
                }
            };
            runtime.block_on(async move {
                let config = StageConfig {
                    access_log: LineSink::Off,
                    reports: LineSink::Off,
                    ..StageConfig::default()
                };
                let stage = match local_stage::start(config).await {
                    Ok(stage) => stage,
                    Err(e) => {
                        let _ = ready.send(Err(TargetError::Stage(e.to_string())));
                        return;
                    }
                };
                let target = Target {
                    base_url: stage.url(),
                    user_a: stage.mint_token("e2e-user-a", &[]),
                    user_b: stage.mint_token("e2e-user-b", &[]),
                    admin: stage.mint_token("e2e-admin", &["admin"]),
                    cors_origin,
                    local_issuer: Some(stage.issuer().clone()),
                };
                if ready.send(Ok(target)).is_err() {
                    return;
                }
                // Serve until the test binary exits: the stage is owned by this future, which
                // never completes.
                let _serving = stage;
                std::future::pending::<()>().await;
            });
        });
    if let Err(e) = spawned {
        return Err(TargetError::Stage(format!("no thread for the stage: {e}")));
    }
    started.recv().unwrap_or_else(|_| {
        Err(TargetError::Stage(
            "the stage's thread ended before the stage started".into(),
        ))
    })
}
