//! The tables' configuration: their names, read with the rest of a function's configuration
//! (`items-apigateway`), and the SDK's variable for a local DynamoDB endpoint. The SDK's own
//! settings (TLS, timeouts, retries, region and credentials) are `items-sdk-config`'s.

/// The SDK's variable for a DynamoDB endpoint other than AWS's (a local server).
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_DYNAMODB";

/// The two tables the repository uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// The items table.
    pub items: String,
    /// The idempotency records table.
    pub idempotency: String,
}
