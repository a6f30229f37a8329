//! The numbers of the contract, in one place: adapters, the local stage and docs read them here.

/// Longest item name, in Unicode scalar values, after trimming.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest description, in Unicode scalar values.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// Longest category; its first character is `[a-z0-9]`, the rest `[a-z0-9-]`.
pub const CATEGORY_MAX_CHARS: usize = 50;
/// Smallest and largest page size a caller may ask for.
pub const PAGE_LIMIT_MIN: u32 = 1;
/// Largest page size.
pub const PAGE_LIMIT_MAX: u32 = 100;
/// Page size when the caller names none.
pub const PAGE_LIMIT_DEFAULT: u32 = 20;
/// Longest `Idempotency-Key`; every character is visible ASCII (0x21 to 0x7E).
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 64;
/// How long a replayed `Idempotency-Key` returns the first result.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;
/// Largest request body, in bytes, after base64 decoding.
pub const BODY_MAX_BYTES: usize = 16 * 1024;
/// Longest caller subject we accept from a token; real issuers use far fewer.
pub const SUBJECT_MAX_CHARS: usize = 256;
