//! Value types that can only hold valid values. Each `parse` states the contract's rule for its
//! field; a value that exists is valid for its whole life.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Timelike, Utc};
use uuid::Uuid;

use crate::error::FieldError;
use crate::limits::{CATEGORY_MAX_CHARS, DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS, SUBJECT_MAX_CHARS};
use crate::text::has_ascii_control_other_than;

/// An item's id: a UUID, made by the server as v4. Its text form is the lower-case hyphenated
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(Uuid);

impl ItemId {
    /// Reads an id from its hyphenated text form, as found in a path or a stored record.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        // Only the 36-character hyphenated form: the id is a path segment, and one item must
        // have one URL.
        if raw.len() != 36 {
            return Err(FieldError::new("id", "must be a UUID"));
        }
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| FieldError::new("id", "must be a UUID"))
    }

    /// Wraps a UUID made by an id generator.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The text form, lower-case hyphenated, without a heap allocation.
    pub fn text(&self) -> ItemIdText {
        let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
        self.0.as_hyphenated().encode_lower(&mut text);
        ItemIdText(text)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// An id's text form, held on the stack (see [`TimestampText`]).
#[derive(Debug, Clone, Copy)]
pub struct ItemIdText([u8; uuid::fmt::Hyphenated::LENGTH]);

impl ItemIdText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // uuid writes only ASCII hex digits and hyphens, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The characters in `text`, and whether one of them is a control character other than those
/// `allowed`. ASCII text, nearly every stored field, is searched a word at a time (see
/// [`text`](crate::text)).
fn scan(text: &str, allowed: &[u8]) -> (usize, bool) {
    if text.is_ascii() {
        return (
            text.len(),
            has_ascii_control_other_than(text.as_bytes(), allowed),
        );
    }
    let (mut chars, mut has_control) = (0, false);
    for c in text.chars() {
        chars += 1;
        has_control |= c.is_control() && !u8::try_from(c).is_ok_and(|c| allowed.contains(&c));
    }
    (chars, has_control)
}

/// An item's display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ItemName(String);

impl ItemName {
    /// Trims `raw` and checks the name rule. An owned `raw` that needs no trimming is kept, not
    /// copied (a listing reads twenty names per request).
    pub fn parse(raw: impl Into<String> + AsRef<str>) -> Result<Self, FieldError> {
        let text = raw.as_ref();
        let trimmed = text.trim();
        let field = |message: String| FieldError::new("name", message);
        if trimmed.is_empty() {
            return Err(field("must not be empty".into()));
        }
        let (chars, has_control) = scan(trimmed, b"");
        if chars > NAME_MAX_CHARS {
            return Err(field(format!(
                "must be at most {NAME_MAX_CHARS} characters"
            )));
        }
        if has_control {
            return Err(field("must not contain control characters".into()));
        }
        let trimmed = (trimmed.len() != text.len()).then(|| trimmed.to_owned());
        Ok(Self(trimmed.unwrap_or_else(|| raw.into())))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An item's description: 0 to 2000 characters, no control characters but `\n` and `\t`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Description(String);

impl Description {
    /// Checks the description rule; the text is kept as sent (an owned `raw` without a copy).
    pub fn parse(raw: impl Into<String> + AsRef<str>) -> Result<Self, FieldError> {
        let field = |message: String| FieldError::new("description", message);
        let (chars, has_control) = scan(raw.as_ref(), b"\n\t");
        if chars > DESCRIPTION_MAX_CHARS {
            return Err(field(format!(
                "must be at most {DESCRIPTION_MAX_CHARS} characters"
            )));
        }
        if has_control {
            return Err(field(
                "must not contain control characters other than newline and tab".into(),
            ));
        }
        Ok(Self(raw.into()))
    }

    /// The description as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An item's category: `^[a-z0-9][a-z0-9-]{0,49}$`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Category(String);

impl Category {
    /// The message shown for any category that breaks the rule.
    pub const RULE: &'static str =
        "must be 1 to 50 characters of a-z, 0-9 and '-', starting with a letter or digit";

    /// Checks the category rule (the same in a body and in a query string); an owned `raw` is
    /// kept without a copy.
    pub fn parse(raw: impl Into<String> + AsRef<str>) -> Result<Self, FieldError> {
        let text = raw.as_ref();
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if first_ok && rest_ok && text.len() <= CATEGORY_MAX_CHARS {
            Ok(Self(raw.into()))
        } else {
            Err(FieldError::new("category", Self::RULE))
        }
    }

    /// The category as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An item's version: 1 on create, one more on every successful update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// The version of a newly created item.
    pub const FIRST: Version = Version(1);

    /// A version read from a store or a precondition; versions start at 1.
    pub fn new(value: u64) -> Option<Self> {
        (value >= 1).then_some(Self(value))
    }

    /// The version after one more update.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A point in time in UTC, at millisecond precision, as the contract shows timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (see [`Timestamp::text`]).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// A timestamp's text form, held on the stack: a listing writes two per item, each straight
/// into the response, with no string of its own and no formatter between.
#[derive(Debug, Clone)]
pub struct TimestampText(TimestampDigits);

#[derive(Debug, Clone)]
enum TimestampDigits {
    /// Every timestamp the API makes or stores: years 0 to 9999, no leap second.
    Fixed([u8; 24]),
    /// Any other, as chrono writes it.
    Other(String),
}

impl TimestampText {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only ASCII digits are placed into an ASCII template, so this never fails.
            TimestampDigits::Fixed(digits) => std::str::from_utf8(digits).unwrap_or_default(),
            TimestampDigits::Other(text) => text,
        }
    }
}

impl Timestamp {
    /// Truncates to whole milliseconds.
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self::from_millis(at.timestamp_millis()).unwrap_or(Self(at))
    }

    /// Milliseconds since the Unix epoch; `None` out of chrono's range.
    pub fn from_millis(millis: i64) -> Option<Self> {
        Utc.timestamp_millis_opt(millis).single().map(Self)
    }

    /// Reads an RFC 3339 timestamp (any offset), truncated to milliseconds.
    pub fn parse_rfc3339(raw: &str) -> Option<Self> {
        Self::parse_own_form(raw).or_else(|| {
            DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
        })
    }

    /// The form [`to_rfc3339`](Self::to_rfc3339) writes, `YYYY-MM-DDTHH:MM:SS.mmmZ`, read
    /// without the general parser: every stored timestamp has it, and a listing reads two per
    /// item. `None` for anything else (other offsets, a leap second), which the general parser
    /// then reads.
    fn parse_own_form(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        let separators = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
        ];
        if bytes.len() != 24
            || bytes[23] != b'Z'
            || separators.iter().any(|&(at, byte)| bytes[at] != byte)
        {
            return None;
        }
        let number = |from: usize, to: usize| {
            bytes[from..to].iter().try_fold(0u32, |n, &digit| {
                digit
                    .is_ascii_digit()
                    .then(|| n * 10 + u32::from(digit - b'0'))
            })
        };
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(number(0, 4)?).ok()?,
            number(5, 7)?,
            number(8, 10)?,
        )?;
        let at = date.and_hms_milli_opt(
            number(11, 13)?,
            number(14, 16)?,
            number(17, 19)?,
            number(20, 23)?,
        )?;
        Some(Self(at.and_utc()))
    }

    /// The contract's text form: RFC 3339, UTC, three fractional digits, `Z` (its
    /// [`Display`](fmt::Display)). Its lexical order is its time order, which stores use for
    /// sorting.
    pub fn to_rfc3339(&self) -> String {
        self.text().as_str().to_owned()
    }

    /// The text form, as [`Timestamp::to_rfc3339`], without a heap allocation. The digits are
    /// placed by hand into the fixed layout: `write!` with padded fields costs several times
    /// this. A year outside 0 to 9999 or a leap second, which no stored timestamp has, is
    /// written as chrono writes it.
    pub fn text(&self) -> TimestampText {
        // The UTC fields read once: each of `DateTime`'s own accessors adds the (zero) offset
        // again.
        let at = self.0.naive_utc();
        if !(0..=9999).contains(&at.year()) || at.nanosecond() >= 1_000_000_000 {
            return TimestampText(TimestampDigits::Other(
                self.0.to_rfc3339_opts(SecondsFormat::Millis, true),
            ));
        }
        let mut text = *b"0000-00-00T00:00:00.000Z";
        // `year` is in 0..=9999 and the rest in their calendar ranges, checked above.
        let year = at.year().unsigned_abs();
        let fields = [
            (0, 4, year),
            (5, 2, at.month()),
            (8, 2, at.day()),
            (11, 2, at.hour()),
            (14, 2, at.minute()),
            (17, 2, at.second()),
            (20, 3, at.nanosecond() / 1_000_000),
        ];
        for (start, width, mut value) in fields {
            for digit in text[start..start + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        TimestampText(TimestampDigits::Fixed(text))
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// This time plus some hours.
    pub fn plus_hours(&self, hours: i64) -> Self {
        Self(self.0 + chrono::Duration::hours(hours))
    }
}

/// Who a caller is: the `sub` claim of their verified token.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject(String);

impl Subject {
    /// A non-empty subject of reasonable length without control characters; an owned `raw` is
    /// kept without a copy.
    pub fn parse(raw: impl Into<String> + AsRef<str>) -> Result<Self, FieldError> {
        let text = raw.as_ref();
        let (chars, has_control) = scan(text, b"");
        if !text.is_empty() && chars <= SUBJECT_MAX_CHARS && !has_control {
            Ok(Self(raw.into()))
        } else {
            Err(FieldError::new("sub", "must be a non-empty subject"))
        }
    }

    /// The subject as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The verified caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    subject: Subject,
    is_admin: bool,
}

impl Caller {
    /// An ordinary caller.
    pub fn user(subject: Subject) -> Self {
        Self {
            subject,
            is_admin: false,
        }
    }

    /// A caller in the admin group.
    pub fn admin(subject: Subject) -> Self {
        Self {
            subject,
            is_admin: true,
        }
    }

    /// The token's subject.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }

    /// Whether the caller is in the admin group: an admin may change any item.
    pub fn is_admin(&self) -> bool {
        self.is_admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_chrono(raw: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| Timestamp::from_datetime(at.with_timezone(&Utc)))
    }

    #[test]
    fn a_timestamp_reads_back_exactly_as_the_general_parser_reads_it() {
        for raw in [
            "2025-11-25T02:30:00.123Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "0001-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z",
            // Not the own form: read by the general parser, or refused by both.
            "2025-11-25T02:30:00Z",
            "2025-11-25T04:30:00.123+02:00",
            "2025-11-25t02:30:00.123z",
            "2016-12-31T23:59:60.000Z",
            "2025-02-30T00:00:00.000Z",
            "2025-11-25T24:00:00.000Z",
            "2025-11-25T02:30:00.12xZ",
            "+2025-11-25T02:30:00.1Z",
            "",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(raw), by_chrono(raw), "{raw}");
        }
        let at = Timestamp::parse_rfc3339("2025-11-25T02:30:00.123Z").expect("timestamp");
        assert_eq!(at.to_rfc3339(), "2025-11-25T02:30:00.123Z");
    }

    #[test]
    fn a_timestamp_is_written_as_chrono_writes_rfc_3339_with_milliseconds() {
        let millis = [
            0,
            1,
            999,
            1_764_037_800_123,
            951_782_400_000,
            -1,
            -62_135_596_800_000,
            253_402_300_799_999,
            253_402_300_800_000,
            -62_135_596_800_001,
        ];
        for at in millis.into_iter().filter_map(Timestamp::from_millis).chain(
            // A leap second, which only the general parser reads.
            Timestamp::parse_rfc3339("2016-12-31T23:59:60.500Z"),
        ) {
            assert_eq!(
                at.to_string(),
                at.0.to_rfc3339_opts(SecondsFormat::Millis, true),
                "{at:?}"
            );
        }
    }
}
