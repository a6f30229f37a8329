//! API Gateway's JWT authorizer: takes the bearer token from `Authorization`, checks the RS256
//! signature against a JWKS, the issuer, the audience (or `client_id`), `exp` and `nbf`, and
//! hands the function the claims flattened to strings as API Gateway does.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// The verified claims of a request, as API Gateway passes them on.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedClaims {
    /// Every claim, each value flattened to a string (`["a","b"]` becomes `"[a b]"`).
    pub claims: Map<String, Value>,
    /// The space-separated `scope` (or `scp`) claim as a list, `None` when there is none.
    pub scopes: Option<Vec<String>>,
}

/// Why a request was refused; every case is API Gateway's 401 `{"message":"Unauthorized"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// No `Authorization` header, or an empty one.
    #[error("no token")]
    MissingToken,
    /// A token that failed a check; the text goes into `WWW-Authenticate` as API Gateway's does.
    #[error("{0}")]
    InvalidToken(String),
}

impl Denial {
    /// The `WWW-Authenticate` header API Gateway sends with this 401.
    pub fn www_authenticate(&self) -> String {
        match self {
            Denial::MissingToken => "Bearer".to_owned(),
            Denial::InvalidToken(description) => format!(
                "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\""
            ),
        }
    }
}

/// A JWKS file or issuer set-up that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizerConfigError {
    /// The JWKS holds no RSA signing key usable with RS256.
    #[error("the JWKS holds no usable RSA key with a kid")]
    NoKeys,
    /// A key in the JWKS could not be read.
    #[error("JWKS key {kid}: {reason}")]
    BadKey {
        /// The key id.
        kid: String,
        /// What was wrong.
        reason: String,
    },
}

/// The authorizer of every route: one issuer, its audiences, and its signing keys by `kid`.
#[derive(Clone)]
pub struct JwtAuthorizer {
    issuer: String,
    audiences: Vec<String>,
    keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for JwtAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthorizer")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl JwtAuthorizer {
    /// An authorizer trusting `issuer` for `audiences`, with the signing keys of `jwks`.
    pub fn new(
        issuer: impl Into<String>,
        audiences: Vec<String>,
        jwks: &JwkSet,
    ) -> Result<Self, AuthorizerConfigError> {
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| AuthorizerConfigError::BadKey {
                kid: kid.clone(),
                reason: e.to_string(),
            })?;
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(AuthorizerConfigError::NoKeys);
        }
        Ok(Self {
            issuer: issuer.into(),
            audiences,
            keys,
        })
    }

    /// Checks the `Authorization` header value (`Bearer <jwt>` or a bare JWT) and returns the
    /// claims the function will see, or why API Gateway would answer 401.
    pub fn authorize(&self, authorization: Option<&str>) -> Result<VerifiedClaims, Denial> {
        let raw = authorization.map(str::trim).unwrap_or_default();
        let token = strip_bearer(raw).trim();
        if token.is_empty() {
            return Err(Denial::MissingToken);
        }
        let invalid = |text: &str| Denial::InvalidToken(text.to_owned());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("the token is not a valid JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid("the token's signing algorithm is not supported"));
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.get(kid))
            .ok_or_else(|| invalid("the token's signing key is not in the issuer's JWKS"))?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        // The audience is checked below: API Gateway accepts `client_id` when `aud` is absent.
        validation.validate_aud = false;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation).map_err(
            |error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::ExpiredSignature => invalid("the token has expired"),
                    ErrorKind::ImmatureSignature => invalid("the token is not valid yet"),
                    ErrorKind::InvalidIssuer => invalid("the token does not have a valid issuer"),
                    ErrorKind::MissingRequiredClaim(_) => {
                        invalid("the token lacks a required claim")
                    }
                    ErrorKind::InvalidSignature => invalid("the token's signature is invalid"),
                    _ => invalid("the token could not be verified"),
                }
            },
        )?;
        let claims = data.claims;
        if !self.audience_matches(&claims) {
            return Err(invalid("the token does not have a valid audience"));
        }
        Ok(VerifiedClaims {
            scopes: scopes(&claims),
            claims: claims
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(flatten(value))))
                .collect(),
        })
    }

    fn audience_matches(&self, claims: &Map<String, Value>) -> bool {
        let listed = |value: &Value| match value {
            Value::String(one) => self.audiences.contains(one),
            Value::Array(many) => many.iter().any(|v| {
                v.as_str()
                    .is_some_and(|s| self.audiences.iter().any(|a| a == s))
            }),
            _ => false,
        };
        match claims.get("aud") {
            Some(aud) => listed(aud),
            None => claims.get("client_id").is_some_and(listed),
        }
    }
}

fn strip_bearer(value: &str) -> &str {
    if value.eq_ignore_ascii_case("bearer") {
        return "";
    }
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => &value[7..],
        _ => value,
    }
}

fn scopes(claims: &Map<String, Value>) -> Option<Vec<String>> {
    let scope = claims.get("scope").or_else(|| claims.get("scp"))?;
    Some(match scope {
        Value::String(text) => text.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items.iter().map(flatten).collect(),
        other => vec![flatten(other)],
    })
}

/// A claim as API Gateway passes it to a function: strings as they are, numbers and booleans in
/// their JSON spelling, arrays as `[a b c]` (elements separated by spaces, no quotes), objects as
/// their JSON text.
pub fn flatten(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flatten).collect();
            format!("[{}]", inner.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::{unix_now, LocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER};
    use serde_json::json;
    use std::sync::OnceLock;

    fn issuer() -> &'static LocalIssuer {
        static ISSUER: OnceLock<LocalIssuer> = OnceLock::new();
        ISSUER.get_or_init(|| LocalIssuer::generate().unwrap())
    }

    fn authorizer() -> JwtAuthorizer {
        JwtAuthorizer::new(
            LOCAL_ISSUER,
            vec![LOCAL_AUDIENCE.to_owned()],
            &issuer().jwks().unwrap(),
        )
        .unwrap()
    }

    fn token(overrides: Value) -> String {
        let now = unix_now();
        let mut claims = json!({"sub": "alice", "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "iat": now, "exp": now + 60});
        for (name, value) in overrides.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        issuer().sign(&claims).unwrap()
    }

    fn denial(header: Option<&str>) -> String {
        match authorizer().authorize(header) {
            Err(Denial::InvalidToken(text)) => text,
            other => panic!("expected an invalid token, got {other:?}"),
        }
    }

    #[test]
    fn a_minted_token_is_accepted_with_claims_flattened_as_api_gateway_does() {
        let token = issuer()
            .mint(
                "alice",
                &["admin", "staff"],
                std::time::Duration::from_secs(60),
            )
            .unwrap();
        let verified = authorizer()
            .authorize(Some(&format!("Bearer {token}")))
            .unwrap();
        assert_eq!(verified.claims["sub"], "alice");
        assert_eq!(verified.claims["cognito:groups"], "[admin staff]");
        assert!(verified.claims["exp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok());
        assert_eq!(verified.scopes, None);
    }

    #[test]
    fn a_bare_token_and_a_lower_case_bearer_prefix_are_accepted() {
        let token = token(json!({"scope": "pets/read pets/write"}));
        assert!(authorizer().authorize(Some(&token)).is_ok());
        let verified = authorizer()
            .authorize(Some(&format!("bearer {token}")))
            .unwrap();
        assert_eq!(
            verified.scopes,
            Some(vec!["pets/read".to_owned(), "pets/write".to_owned()])
        );
    }

    #[test]
    fn a_missing_or_empty_header_is_a_missing_token() {
        assert_eq!(authorizer().authorize(None), Err(Denial::MissingToken));
        assert_eq!(
            authorizer().authorize(Some("Bearer ")),
            Err(Denial::MissingToken)
        );
    }

    #[test]
    fn expired_future_foreign_and_malformed_tokens_are_refused() {
        let now = unix_now();
        assert!(denial(Some(&token(json!({"exp": now - 1})))).contains("expired"));
        assert!(denial(Some(&token(json!({"nbf": now + 60})))).contains("not valid yet"));
        assert!(denial(Some(&token(json!({"iss": "https://elsewhere"})))).contains("issuer"));
        assert!(denial(Some(&token(json!({"aud": "another-client"})))).contains("audience"));
        assert!(denial(Some(&token(json!({"exp": null})))).contains("required claim"));
        assert!(denial(Some("not-a-jwt")).contains("not a valid JWT"));
    }

    #[test]
    fn client_id_stands_in_for_a_missing_audience() {
        assert!(authorizer()
            .authorize(Some(&token(
                json!({"aud": null, "client_id": LOCAL_AUDIENCE})
            )))
            .is_ok());
        assert!(
            denial(Some(&token(json!({"aud": null, "client_id": "other"})))).contains("audience")
        );
        assert!(authorizer()
            .authorize(Some(&token(json!({"aud": ["other", LOCAL_AUDIENCE]}))))
            .is_ok());
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let stranger = LocalIssuer::generate().unwrap();
        let now = unix_now();
        let foreign = stranger
            .sign(&json!({"sub": "x", "iss": LOCAL_ISSUER, "aud": LOCAL_AUDIENCE, "exp": now + 60}))
            .unwrap();
        assert!(denial(Some(&foreign)).contains("signing key"));
        // Alice's header and payload under the signature of Bob's token.
        let alice = token(json!({}));
        let bob = token(json!({"sub": "bob"}));
        let (alice_signed_part, _) = alice.rsplit_once('.').unwrap();
        let (_, bob_signature) = bob.rsplit_once('.').unwrap();
        let spliced = format!("{alice_signed_part}.{bob_signature}");
        assert!(denial(Some(&spliced)).contains("signature"));
    }
}
