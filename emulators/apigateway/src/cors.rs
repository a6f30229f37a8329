//! CORS as an HTTP API's `cors_configuration`: the stage answers preflight `OPTIONS` requests
//! itself (no authorizer, no function) and adds the access-control headers to every response
//! for an allowed origin, replacing any the function set.

/// The HTTP API `cors_configuration` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    /// Allowed origins; `*` allows any.
    pub allow_origins: Vec<String>,
    /// Allowed methods; `*` allows any.
    pub allow_methods: Vec<String>,
    /// Allowed request headers; `*` allows any.
    pub allow_headers: Vec<String>,
    /// Response headers the browser may read.
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds.
    pub max_age: Option<u32>,
    /// Whether credentials (cookies, `Authorization`) may be sent cross-origin.
    pub allow_credentials: bool,
}

impl Default for CorsConfig {
    /// Any origin, method and request header; nothing exposed, no preflight caching, no
    /// credentials.
    fn default() -> Self {
        Self {
            allow_origins: vec!["*".to_owned()],
            allow_methods: vec!["*".to_owned()],
            allow_headers: vec!["*".to_owned()],
            expose_headers: Vec::new(),
            max_age: None,
            allow_credentials: false,
        }
    }
}

/// A CORS configuration API Gateway would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    /// `allow_credentials` with the origin `*`.
    #[error("CORS: credentials cannot be allowed for the origin \"*\" (API Gateway refuses this configuration, and browsers refuse such answers); list the allowed origins instead")]
    CredentialsWithAnyOrigin,
}

impl CorsConfig {
    /// Refuses what API Gateway refuses when the configuration is deployed.
    pub fn validate(&self) -> Result<(), CorsError> {
        if self.allow_credentials && self.allow_origins.iter().any(|o| o == "*") {
            return Err(CorsError::CredentialsWithAnyOrigin);
        }
        Ok(())
    }

    /// The `access-control-allow-origin` value for `origin`, or `None` when it is not allowed.
    fn allowed_origin(&self, origin: &str) -> Option<String> {
        if self
            .allow_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
        {
            Some(origin.to_owned())
        } else if self.allow_origins.iter().any(|o| o == "*") {
            // With credentials a browser rejects `*`, so the origin is echoed instead.
            Some(if self.allow_credentials {
                origin.to_owned()
            } else {
                "*".to_owned()
            })
        } else {
            None
        }
    }

    /// The headers of the stage's 204 answer to a preflight from `origin` asking for
    /// `requested_method` and `requested_headers`; empty when the preflight is not allowed,
    /// so the browser blocks the real request.
    pub fn preflight_headers(
        &self,
        origin: Option<&str>,
        requested_method: Option<&str>,
        requested_headers: Option<&str>,
    ) -> Vec<(String, String)> {
        let (Some(origin), Some(method)) = (origin, requested_method) else {
            return Vec::new();
        };
        let Some(allow_origin) = self.allowed_origin(origin) else {
            return Vec::new();
        };
        let method_allowed = self
            .allow_methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(method));
        let requested: Vec<&str> = requested_headers
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let headers_allowed = requested.iter().all(|wanted| {
            self.allow_headers
                .iter()
                .any(|h| h == "*" || h.eq_ignore_ascii_case(wanted))
        });
        if !method_allowed || !headers_allowed {
            return Vec::new();
        }
        let mut headers = vec![("access-control-allow-origin".to_owned(), allow_origin)];
        let methods = if self.allow_methods.iter().any(|m| m == "*") {
            method.to_owned()
        } else {
            self.allow_methods.join(",")
        };
        headers.push(("access-control-allow-methods".to_owned(), methods));
        if !requested.is_empty() {
            let allowed = if self.allow_headers.iter().any(|h| h == "*") {
                requested.join(",")
            } else {
                self.allow_headers.join(",")
            };
            headers.push(("access-control-allow-headers".to_owned(), allowed));
        }
        if let Some(max_age) = self.max_age {
            headers.push(("access-control-max-age".to_owned(), max_age.to_string()));
        }
        if self.allow_credentials {
            headers.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        headers
    }

    /// Puts the access-control headers for `origin` on a normal response, after removing any
    /// the function set (API Gateway ignores a backend's CORS headers when CORS is configured).
    pub fn apply(&self, origin: Option<&str>, headers: &mut Vec<(String, String)>) {
        headers.retain(|(name, _)| !name.starts_with("access-control-"));
        let Some(allow_origin) = origin.and_then(|o| self.allowed_origin(o)) else {
            return;
        };
        headers.push(("access-control-allow-origin".to_owned(), allow_origin));
        if !self.expose_headers.is_empty() {
            headers.push((
                "access-control-expose-headers".to_owned(),
                self.expose_headers.join(","),
            ));
        }
        if self.allow_credentials {
            headers.push((
                "access-control-allow-credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        headers.push(("vary".to_owned(), "origin".to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// An API's usual configuration: any origin, its methods and headers listed.
    fn listed() -> CorsConfig {
        CorsConfig {
            allow_origins: vec!["*".to_owned()],
            allow_methods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
                .map(String::from)
                .to_vec(),
            allow_headers: ["authorization", "content-type", "if-match"]
                .map(String::from)
                .to_vec(),
            expose_headers: ["etag", "location"].map(String::from).to_vec(),
            max_age: Some(600),
            allow_credentials: false,
        }
    }

    #[test]
    fn credentials_with_any_origin_are_refused_and_with_listed_origins_allowed() {
        let any_with_credentials = CorsConfig {
            allow_credentials: true,
            ..listed()
        };
        assert_eq!(
            any_with_credentials.validate(),
            Err(CorsError::CredentialsWithAnyOrigin)
        );
        assert!(CorsError::CredentialsWithAnyOrigin
            .to_string()
            .contains("list the allowed origins"));
        assert_eq!(only("https://app.example").validate(), Ok(()));
        assert_eq!(listed().validate(), Ok(()));
    }

    fn only(origin: &str) -> CorsConfig {
        CorsConfig {
            allow_origins: vec![origin.to_owned()],
            allow_credentials: true,
            ..listed()
        }
    }

    #[test]
    fn an_allowed_preflight_gets_the_configured_access_control_headers() {
        let headers = listed().preflight_headers(
            Some("https://app.example"),
            Some("PUT"),
            Some("Authorization, If-Match"),
        );
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert_eq!(
            header(&headers, "access-control-allow-methods"),
            Some("GET,POST,PUT,DELETE,OPTIONS")
        );
        assert!(header(&headers, "access-control-allow-headers")
            .unwrap()
            .contains("if-match"));
        assert_eq!(header(&headers, "access-control-max-age"), Some("600"));
    }

    #[test]
    fn a_foreign_origin_method_or_header_gets_no_access_control_headers() {
        let config = only("https://app.example");
        assert!(config
            .preflight_headers(Some("https://evil.example"), Some("GET"), None)
            .is_empty());
        assert!(listed()
            .preflight_headers(Some("https://a"), Some("PATCH"), None)
            .is_empty());
        assert!(listed()
            .preflight_headers(Some("https://a"), Some("GET"), Some("x-secret"))
            .is_empty());
        assert!(listed()
            .preflight_headers(None, Some("GET"), None)
            .is_empty());
    }

    #[test]
    fn with_credentials_the_origin_is_echoed_and_backend_cors_headers_are_replaced() {
        let config = only("https://app.example");
        let mut headers = vec![("access-control-allow-origin".to_owned(), "*".to_owned())];
        config.apply(Some("https://app.example"), &mut headers);
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            Some("https://app.example")
        );
        assert_eq!(
            header(&headers, "access-control-allow-credentials"),
            Some("true")
        );
        assert_eq!(
            headers
                .iter()
                .filter(|(n, _)| n == "access-control-allow-origin")
                .count(),
            1
        );
        let mut foreign = Vec::new();
        config.apply(Some("https://evil.example"), &mut foreign);
        assert!(foreign.is_empty());
    }

    #[test]
    fn the_default_allows_any_method_and_header_by_naming_the_requested_ones() {
        let headers = CorsConfig::default().preflight_headers(
            Some("https://a"),
            Some("PATCH"),
            Some("x-custom"),
        );
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert_eq!(
            header(&headers, "access-control-allow-methods"),
            Some("PATCH")
        );
        assert_eq!(
            header(&headers, "access-control-allow-headers"),
            Some("x-custom")
        );
        assert_eq!(header(&headers, "access-control-max-age"), None);
    }
}
