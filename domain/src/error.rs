//! Typed errors: field errors for bad input, the domain's outcome errors, and the repository
//! port's errors that adapters map their own failures into.

use std::fmt;

/// One rule broken by one field of a request. `field` names the field as the caller sent it
/// (a body field, a query parameter or a header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as the caller sent it.
    pub field: String,
    /// The rule it broke, safe to show the caller.
    pub message: String,
}

impl FieldError {
    /// A field error with its field name and a message safe to show the caller.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Why a use case did not succeed. `Display` is safe to show a caller; internals are logged by
/// the adapter that saw them, never carried here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// No item has this id.
    #[error("no item has this id")]
    NotFound,
    /// The caller is neither the item's creator nor an admin.
    #[error("only the item's creator or an admin may change it")]
    Forbidden,
    /// The caller's expected version is not the stored one.
    #[error("the item's version is not the expected one")]
    PreconditionFailed,
    /// An idempotency key was reused with a different request.
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    /// The store is throttled or unreachable; the caller may retry.
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// Anything else. The text says what failed, for the log line every 500 writes; it is never
    /// shown to callers, and details were logged where they happened.
    #[error("internal error")]
    Internal(&'static str),
}

/// What a repository adapter reports. Adapters map their own errors (SDK errors, lock poisoning)
/// into these; nothing adapter-specific crosses the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// A conditional insert found an item with the same id.
    #[error("an item with this id already exists")]
    AlreadyExists,
    /// A conditional write found no item.
    #[error("no item has this id")]
    NotFound,
    /// A conditional write found an item another caller created, and the writer is no admin.
    #[error("the item was created by another caller")]
    NotCreator,
    /// A conditional write found the item at another version.
    #[error("the stored version differs from the expected one")]
    VersionMismatch,
    /// The store is throttled, timed out or unreachable.
    #[error("the store is unavailable")]
    Unavailable,
    /// Any other store failure.
    #[error("the store failed")]
    Internal,
}

impl From<RepositoryError> for DomainError {
    /// The mapping for failures no use case handles itself.
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable => Self::Unavailable,
            RepositoryError::NotFound => Self::NotFound,
            RepositoryError::NotCreator => Self::Forbidden,
            RepositoryError::VersionMismatch => Self::PreconditionFailed,
            RepositoryError::AlreadyExists => {
                Self::Internal("the store already holds an item with the new item's id")
            }
            RepositoryError::Internal => {
                Self::Internal("the store failed (its own error line has the details)")
            }
        }
    }
}
