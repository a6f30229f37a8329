//! A local stand-in for an identity provider such as Cognito: an RSA key (kept in a git-ignored
//! file, or only in memory) that mints RS256 tokens the JWT authorizer accepts, published to it
//! as a JWKS.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::LineEnding;
use rsa::traits::PublicKeyParts;
use rsa::PrivateKey as RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The `iss` claim of locally minted tokens; `.invalid` so it can never name a real issuer.
pub const LOCAL_ISSUER: &str = "https://local-stage.invalid";
/// The `aud` claim of locally minted tokens (an app client id, as Cognito puts in ID tokens).
pub const LOCAL_AUDIENCE: &str = "local-app-client";
/// How long a minted token stays valid unless the caller says otherwise (Cognito's default).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

const KEY_BITS: usize = 2048;

/// Why the local issuer could not load, create or use its key.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The key file could not be read or written.
    #[error("issuer key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file does not hold a PKCS#1 PEM RSA private key.
    #[error("issuer key file {path} is not a PKCS#1 PEM RSA private key: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// Generating, encoding or signing failed.
    #[error("issuer key: {0}")]
    Crypto(String),
}

/// An RSA signing key with its key id, able to mint tokens and describe itself as a JWKS.
#[derive(Clone)]
pub struct LocalIssuer {
    encoding: EncodingKey,
    kid: String,
    modulus: String,
    exponent: String,
}

impl std::fmt::Debug for LocalIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl LocalIssuer {
    /// Loads the key from `path`, or generates one and stores it there (mode 0600, with a
    /// `.gitignore` beside it) when the file does not exist yet. Two processes starting at once
    /// end up with the same key: the file is published with an atomic link, never overwritten.
    pub fn load_or_create(path: &Path) -> Result<Self, IssuerError> {
        match fs::read_to_string(path) {
            Ok(pem) => Self::from_pem(&pem, path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Self::create(path)?;
                let pem = fs::read_to_string(path).map_err(|source| IssuerError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                Self::from_pem(&pem, path)
            }
            Err(source) => Err(IssuerError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Generates a fresh key held only in memory.
    pub fn generate() -> Result<Self, IssuerError> {
        let key = generate_key()?;
        Self::from_key(&key)
    }

    /// The key id, sent in every token header and in the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWKS document, as Cognito publishes at `/.well-known/jwks.json`.
    pub fn jwks_json(&self) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": self.kid,
                "n": self.modulus,
                "e": self.exponent,
            }]
        })
    }

    /// The public half as a parsed JWKS, for the authorizer.
    pub fn jwks(&self) -> Result<JwkSet, IssuerError> {
        serde_json::from_value(self.jwks_json()).map_err(|e| IssuerError::Crypto(e.to_string()))
    }

    /// Mints a token for `sub`, shaped like a Cognito ID token: local issuer and audience,
    /// `cognito:groups` when there are groups, valid for `lifetime` from now.
    pub fn mint(
        &self,
        sub: &str,
        groups: &[&str],
        lifetime: Duration,
    ) -> Result<String, IssuerError> {
        let now = unix_now();
        let mut claims = json!({
            "sub": sub,
            "iss": LOCAL_ISSUER,
            "aud": LOCAL_AUDIENCE,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + lifetime.as_secs(),
            "cognito:username": sub,
        });
        if !groups.is_empty() {
            claims["cognito:groups"] = json!(groups);
        }
        self.sign(&claims)
    }

    /// Signs any claims with the local key (RS256, with this key's `kid`): for tests that need
    /// expired, foreign-audience or otherwise unusual tokens.
    pub fn sign(&self, claims: &Value) -> Result<String, IssuerError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| IssuerError::Crypto(e.to_string()))
    }

    fn create(path: &Path) -> Result<(), IssuerError> {
        let io = |source| IssuerError::Io {
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(io)?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            fs::write(
                &ignore,
                "# Local-only signing keys; never commit them.\n*\n",
            )
            .map_err(io)?;
        }
        let key = generate_key()?;
        let pem = key
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| IssuerError::Crypto(e.to_string()))?;
        let temporary = dir.join(format!(".issuer-{}.pem.tmp", uuid::Uuid::new_v4()));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(io)?;
        file.write_all(pem.as_bytes()).map_err(io)?;
        drop(file);
        // A hard link fails when the target exists, so a concurrent creator's key wins intact.
        let linked = fs::hard_link(&temporary, path);
        let _ = fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(error) => Err(io(error)),
        }
    }

    fn from_pem(pem: &str, path: &Path) -> Result<Self, IssuerError> {
        let key = RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| IssuerError::BadKey {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::from_key(&key)
    }

    fn from_key(key: &RsaPrivateKey) -> Result<Self, IssuerError> {
        let der = key
            .to_pkcs1_der()
            .map_err(|e| IssuerError::Crypto(e.to_string()))?;
        let modulus = URL_SAFE_NO_PAD.encode(key.n_bytes());
        let exponent = URL_SAFE_NO_PAD.encode(key.e_bytes());
        let digest = Sha256::digest(modulus.as_bytes());
        let kid = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            kid,
            modulus,
            exponent,
        })
    }
}

fn generate_key() -> Result<RsaPrivateKey, IssuerError> {
    RsaPrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
        .map_err(|e| IssuerError::Crypto(e.to_string()))
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
