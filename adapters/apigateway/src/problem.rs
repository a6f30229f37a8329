//! Errors as `application/problem+json` (RFC 9457): the one mapping from every failure a
//! request can meet to a status and a body safe to show.

use items_domain::{DomainError, FieldError};
use serde::Serialize;

use crate::response::{ApiResponse, PROBLEM_JSON};

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// A failed request: its status, a short title, a detail for the caller, and for validation
/// failures every offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status code.
    pub status: u16,
    /// The status's short name (`title` of the body).
    pub title: &'static str,
    /// What went wrong, for the caller (`detail` of the body).
    pub detail: String,
    /// For a 400, every field that broke a rule (`errors` of the body).
    pub errors: Vec<FieldError>,
    /// For a 500, what failed: written to the log, never to the caller.
    pub cause: Option<&'static str>,
}

impl Problem {
    fn new(status: u16, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            cause: None,
        }
    }

    /// 400 listing every bad field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is invalid".to_owned(),
            n => format!("{n} fields are invalid"),
        };
        Self {
            errors,
            ..Self::new(400, "Bad Request", detail)
        }
    }

    /// 400 for an event that is not an API Gateway request at all.
    pub fn malformed_event(reason: &str) -> Self {
        Self::new(400, "Bad Request", reason)
    }

    /// 401: no verified caller.
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            "Unauthorized",
            "the request carries no verified caller (a valid bearer token is required)",
        )
    }

    /// 413: body over the limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "Payload Too Large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 415: a body that is not JSON.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "Unsupported Media Type",
            format!("the request body must be {}", accepted.join(" or ")),
        )
    }

    /// The response for this problem. Every 500 writes an error line with its cause here, the
    /// one place every problem becomes a response, so no 500 goes unexplained in the log.
    pub fn into_response(self, request_id: &str) -> ApiResponse {
        if self.status == 500 {
            tracing::error!(
                request_id,
                status = self.status,
                cause = self.cause.unwrap_or("unknown"),
                "request failed"
            );
        }
        let body = ProblemView {
            detail: &self.detail,
            errors: self.errors.iter().map(FieldErrorView::from).collect(),
            request_id,
            status: self.status,
            title: self.title,
            kind: "about:blank",
        };
        let response = ApiResponse::with_body(self.status, PROBLEM_JSON, &body);
        if self.status == 503 {
            response.header("retry-after", RETRY_AFTER_SECONDS.to_string())
        } else {
            response
        }
    }
}

/// A problem's body. The members are in alphabetical order, the order the API has always
/// written them in.
#[derive(Serialize)]
struct ProblemView<'a> {
    detail: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldErrorView<'a>>,
    request_id: &'a str,
    status: u16,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// One entry of a validation problem's `errors`.
#[derive(Serialize)]
struct FieldErrorView<'a> {
    field: &'a str,
    message: &'a str,
}

impl<'a> From<&'a FieldError> for FieldErrorView<'a> {
    fn from(error: &'a FieldError) -> Self {
        Self {
            field: &error.field,
            message: &error.message,
        }
    }
}

impl From<DomainError> for Problem {
    fn from(error: DomainError) -> Self {
        // The domain's Display texts are written for callers; internals never reach them.
        let detail = error.to_string();
        match error {
            DomainError::NotFound => Problem::new(404, "Not Found", detail),
            DomainError::Forbidden => Problem::new(403, "Forbidden", detail),
            // The domain knows no headers; the caller knows the version as its If-Match.
            DomainError::PreconditionFailed => Problem::new(
                412,
                "Precondition Failed",
                "the item's version does not match If-Match",
            ),
            DomainError::IdempotencyConflict => Problem::new(409, "Conflict", detail),
            DomainError::Unavailable => Problem::new(503, "Service Unavailable", detail),
            DomainError::Internal(cause) => Problem {
                cause: Some(cause),
                ..Problem::new(
                    500,
                    "Internal Server Error",
                    "the request failed; quote the request id when reporting it",
                )
            },
        }
    }
}

impl From<Vec<FieldError>> for Problem {
    fn from(errors: Vec<FieldError>) -> Self {
        Problem::validation(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_error_has_its_status() {
        let cases = [
            (DomainError::NotFound, 404),
            (DomainError::Forbidden, 403),
            (DomainError::PreconditionFailed, 412),
            (DomainError::IdempotencyConflict, 409),
            (DomainError::Unavailable, 503),
            (DomainError::Internal("a cause"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(Problem::from(error).status, status);
        }
    }

    #[test]
    fn a_problem_body_is_written_byte_for_byte_as_the_api_always_has() {
        let validation = Problem::validation(vec![
            FieldError::new("name", "is required"),
            FieldError::new("category", "is too long"),
        ])
        .into_response("req-1");
        assert_eq!(
            validation.body.as_deref(),
            Some(
                r#"{"detail":"2 fields are invalid","errors":[{"field":"name","message":"is required"},{"field":"category","message":"is too long"}],"request_id":"req-1","status":400,"title":"Bad Request","type":"about:blank"}"#
            )
        );
        let not_found = Problem::from(DomainError::NotFound).into_response("req-2");
        assert_eq!(
            not_found.body.as_deref(),
            Some(
                r#"{"detail":"no item has this id","request_id":"req-2","status":404,"title":"Not Found","type":"about:blank"}"#
            )
        );
        assert_eq!(not_found.header_value("content-type"), Some(PROBLEM_JSON));
    }

    #[test]
    fn only_a_503_carries_retry_after() {
        let unavailable = Problem::from(DomainError::Unavailable).into_response("r");
        assert_eq!(unavailable.header_value("retry-after"), Some("1"));
        let internal = Problem::from(DomainError::Internal("a cause")).into_response("r");
        assert_eq!(internal.header_value("retry-after"), None);
    }
}
