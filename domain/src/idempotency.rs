//! Idempotent creation: a caller's key, the fingerprint of what they asked for, and the record
//! a store keeps for 24 hours.

use sha2::{Digest, Sha256};

use crate::error::FieldError;
use crate::item::{Item, ItemFields};
use crate::limits::{IDEMPOTENCY_KEY_MAX_CHARS, IDEMPOTENCY_TTL_HOURS};
use crate::values::{Subject, Timestamp};

/// The `Idempotency-Key` header: 1 to 64 visible ASCII characters (0x21 to 0x7E).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's name, as errors name the field.
    pub const HEADER: &'static str = "Idempotency-Key";
    /// The key rule, as callers see it (the length is [`IDEMPOTENCY_KEY_MAX_CHARS`]).
    pub const RULE: &'static str = "must be 1 to 64 visible ASCII characters";

    /// Checks the key rule.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let valid = (1..=IDEMPOTENCY_KEY_MAX_CHARS).contains(&raw.len())
            && raw.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(Self::HEADER, Self::RULE))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Keys are per caller: two callers may use the same key for different requests.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope {
    /// The caller who sent the key.
    pub caller: Subject,
    /// The key, as the caller sent it.
    pub key: IdempotencyKey,
}

/// A digest of the request a key was first used with: same fields, same fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of a create request's fields (after their rules were applied, so a name
    /// sent with extra spaces is the same request).
    pub fn of(fields: &ItemFields) -> Self {
        let mut hasher = Sha256::new();
        // Every field, destructured so a new one is a compile error here rather than a field
        // the same key could change unnoticed.
        let ItemFields {
            name,
            description,
            category,
        } = fields;
        // Length-prefixed, so no two different field sets hash the same input.
        for part in [
            Some(name.as_str()),
            Some(description.as_str()),
            category.as_ref().map(|c| c.as_str()),
        ] {
            match part {
                Some(text) => {
                    hasher.update((text.len() as u64).to_be_bytes());
                    hasher.update(text.as_bytes());
                }
                None => hasher.update(u64::MAX.to_be_bytes()),
            }
        }
        let digest = hasher.finalize();
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A fingerprint read back from a store.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The fingerprint as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a store keeps for an idempotent create: who used which key for what, the item it made,
/// and when the record stops counting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Who used which key.
    pub scope: IdempotencyScope,
    /// The fields of the request that first used the key.
    pub fingerprint: Fingerprint,
    /// The item that request created.
    pub item: Item,
    /// When the record stops counting (24 hours after it was made).
    pub expires_at: Timestamp,
}

impl IdempotencyRecord {
    /// The record for `item`, created now with `fields` under `scope`.
    pub fn new(scope: IdempotencyScope, fields: &ItemFields, item: Item) -> Self {
        let expires_at = item.created_at().plus_hours(IDEMPOTENCY_TTL_HOURS);
        Self {
            scope,
            fingerprint: Fingerprint::of(fields),
            item,
            expires_at,
        }
    }

    /// Whether the record still counts at `now`. An expired record is as if absent, even while
    /// a store has not yet removed it.
    pub fn is_live_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// The outcome of an idempotent insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotentInsert {
    /// The item and its record were stored together.
    Created,
    /// A live record with the same fingerprint exists: this is its item; nothing was stored.
    Replayed(Item),
    /// A live record with another fingerprint exists; nothing was stored.
    Conflict,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_rule_states_the_limit() {
        let limit = IDEMPOTENCY_KEY_MAX_CHARS;
        assert!(IdempotencyKey::RULE.contains(&format!("1 to {limit} ")));
    }
}
