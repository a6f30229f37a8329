//! Whose tokens the stage's JWT authorizer accepts: the local issuer's (the default), or
//! another issuer's such as a Cognito user pool.

use std::path::{Path, PathBuf};

use apigateway_emulator::{JwtAuthorizer, LocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER};

use crate::error::StageError;

/// Whose tokens the authorizer accepts.
#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// The local issuer, with its key in `key_file` (created on first use); tokens come from
    /// [`crate::RunningStage::mint_token`], `local-stage token` or `POST /_local/token`.
    LocalIssuer {
        /// The PEM key file; [`default_key_path`] unless told otherwise.
        key_file: PathBuf,
    },
    /// Another issuer, e.g. a Cognito user pool: its `iss`, accepted audiences (app client
    /// ids) and a JWKS file (its `/.well-known/jwks.json`).
    External {
        /// The expected `iss`.
        issuer: String,
        /// Accepted `aud` (or `client_id`) values.
        audiences: Vec<String>,
        /// The JWKS file.
        jwks_file: PathBuf,
    },
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig::LocalIssuer {
            key_file: default_key_path(),
        }
    }
}

/// Where the stage keeps its issuer key unless told otherwise: `.local-stage/issuer.pem` in the
/// nearest directory at or above the working directory that holds `routes.json` (the project
/// root), so the stage, the `token` command and tests run from any sub-directory share one key.
pub fn default_key_path() -> PathBuf {
    let relative = Path::new(".local-stage").join("issuer.pem");
    let Ok(cwd) = std::env::current_dir() else {
        return relative;
    };
    cwd.ancestors()
        .find(|dir| dir.join("routes.json").is_file())
        .map(|root| root.join(&relative))
        .unwrap_or_else(|| cwd.join(relative))
}

/// The authorizer, the issuer `mint_token` signs with, and the issuer behind the local token
/// endpoint (none when the authorizer trusts another issuer, whose tokens it cannot mint).
pub(crate) struct Authorization {
    pub(crate) authorizer: JwtAuthorizer,
    pub(crate) signer: LocalIssuer,
    pub(crate) token_endpoint_issuer: Option<LocalIssuer>,
}

impl Authorization {
    pub(crate) fn new(auth: &AuthConfig) -> Result<Self, StageError> {
        match auth {
            AuthConfig::LocalIssuer { key_file } => {
                let issuer = LocalIssuer::load_or_create(key_file)?;
                let authorizer = JwtAuthorizer::new(
                    LOCAL_ISSUER,
                    vec![LOCAL_AUDIENCE.to_owned()],
                    &issuer.jwks()?,
                )?;
                Ok(Self {
                    authorizer,
                    signer: issuer.clone(),
                    token_endpoint_issuer: Some(issuer),
                })
            }
            AuthConfig::External {
                issuer,
                audiences,
                jwks_file,
            } => {
                let jwks_error = |reason: String| StageError::Jwks {
                    path: jwks_file.clone(),
                    reason,
                };
                let text =
                    std::fs::read_to_string(jwks_file).map_err(|e| jwks_error(e.to_string()))?;
                let jwks = serde_json::from_str(&text).map_err(|e| jwks_error(e.to_string()))?;
                let authorizer = JwtAuthorizer::new(issuer.clone(), audiences.clone(), &jwks)?;
                // Minted tokens cannot pass this authorizer; the local key still signs them so
                // `mint_token` keeps working, and the token endpoint is off.
                Ok(Self {
                    authorizer,
                    signer: LocalIssuer::load_or_create(&default_key_path())?,
                    token_endpoint_issuer: None,
                })
            }
        }
    }
}
