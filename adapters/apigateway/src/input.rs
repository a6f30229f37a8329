//! Input extraction: the path id, `If-Match`, `Idempotency-Key` and the JSON body, read from a
//! request into domain values, every rule's message written once.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use items_domain::limits::BODY_MAX_BYTES;
use items_domain::{FieldError, IdempotencyKey, ItemChanges, ItemFields, ItemId, Version};

use crate::body::{parse_item_fields, parse_item_patch};
use crate::problem::Problem;
use crate::request::{ApiRequest, RequestHeader};

/// The `If-Match` rule, as callers see it.
pub(crate) const IF_MATCH_RULE: &str = "must be \"<version>\" or *";

/// The `{id}` path parameter.
pub(crate) fn path_id(request: &ApiRequest) -> Result<ItemId, FieldError> {
    let raw = request
        .path_parameters
        .get("id")
        .map(String::as_str)
        .unwrap_or_default();
    ItemId::parse(raw)
}

/// `If-Match`: absent or `*` (any existing item) means no version precondition; otherwise one
/// strong entity tag, `"<version>"`, written as the `ETag` writes it. Tags compare as text, so
/// `"01"` is not `"1"`: a version with a leading zero is no tag this API gives out, and is
/// refused rather than read as the number.
pub(crate) fn if_match(request: &ApiRequest) -> Result<Option<Version>, FieldError> {
    let invalid = || FieldError::new("If-Match", IF_MATCH_RULE);
    if request.header_is_unreadable(RequestHeader::IfMatch) {
        return Err(invalid());
    }
    let Some(raw) = request.header(RequestHeader::IfMatch).map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let digits = raw
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|d| {
            !d.is_empty()
                && d.len() <= 19
                && d.bytes().all(|b| b.is_ascii_digit())
                && !d.starts_with('0')
        })
        .ok_or_else(invalid)?;
    digits
        .parse::<u64>()
        .ok()
        .and_then(Version::new)
        .map(Some)
        .ok_or_else(invalid)
}

/// `Idempotency-Key`, when sent.
pub(crate) fn idempotency_key(request: &ApiRequest) -> Result<Option<IdempotencyKey>, FieldError> {
    if request.header_is_unreadable(RequestHeader::IdempotencyKey) {
        return Err(FieldError::new(
            IdempotencyKey::HEADER,
            IdempotencyKey::RULE,
        ));
    }
    request
        .header(RequestHeader::IdempotencyKey)
        .map(IdempotencyKey::parse)
        .transpose()
}

/// The body's item fields, every bad one added to `errors`.
pub(crate) fn item_fields(body: &[u8], errors: &mut Vec<FieldError>) -> Option<ItemFields> {
    parse_item_fields(body).map_err(|e| errors.extend(e)).ok()
}

/// The changes a merge-patch body makes, every bad field added to `errors`.
pub(crate) fn item_patch(body: &[u8], errors: &mut Vec<FieldError>) -> Option<ItemChanges> {
    parse_item_patch(body).map_err(|e| errors.extend(e)).ok()
}

/// The media type of a JSON body.
pub(crate) const JSON: &str = "application/json";
pub(crate) use crate::body::MERGE_PATCH;

/// The body's bytes: JSON content type required, base64 decoded, at most 16 KiB.
pub(crate) fn read_body(request: &ApiRequest) -> Result<Vec<u8>, Problem> {
    read_body_of(request, &[JSON])
}

/// The body's bytes, as [`read_body`], for a body of one of the `accepted` media types
/// (parameters such as `; charset=utf-8` allowed).
pub(crate) fn read_body_of(request: &ApiRequest, accepted: &[&str]) -> Result<Vec<u8>, Problem> {
    let raw = request.body.as_deref().unwrap_or_default();
    // Reject oversize bodies before decoding: base64 grows by 4/3, so anything longer than this
    // cannot decode to 16 KiB.
    let max_raw = if request.is_base64_encoded {
        BODY_MAX_BYTES.div_ceil(3) * 4
    } else {
        BODY_MAX_BYTES
    };
    if raw.len() > max_raw {
        return Err(Problem::payload_too_large(BODY_MAX_BYTES));
    }
    let is_accepted = request
        .header(RequestHeader::ContentType)
        .is_some_and(|value| {
            value.split(';').next().is_some_and(|media| {
                accepted
                    .iter()
                    .any(|accepted| media.trim().eq_ignore_ascii_case(accepted))
            })
        });
    if !is_accepted {
        return Err(Problem::unsupported_media_type(accepted));
    }
    let bytes = if request.is_base64_encoded {
        STANDARD.decode(raw).map_err(|_| {
            Problem::validation(vec![FieldError::new("body", "is not valid base64")])
        })?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > BODY_MAX_BYTES {
        return Err(Problem::payload_too_large(BODY_MAX_BYTES));
    }
    Ok(bytes)
}
