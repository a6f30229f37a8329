//! SDK errors to the port's errors: the one place that knows what a DynamoDB failure means.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use items_domain::RepositoryError;

/// Error codes after which the same request may succeed later.
const RETRYABLE_CODES: [&str; 7] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalServerError",
    "LimitExceededException",
    "TransactionInProgressException",
];

/// Maps and logs an SDK error. `operation` names the call for the log.
pub fn store_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> RepositoryError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mapped = match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => RepositoryError::Unavailable,
        SdkError::ResponseError(_) => RepositoryError::Unavailable,
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            if RETRYABLE_CODES.contains(&code) {
                RepositoryError::Unavailable
            } else {
                RepositoryError::Internal
            }
        }
        _ => RepositoryError::Internal,
    };
    tracing::error!(
        operation,
        error = %DisplayErrorContext(error),
        mapped = ?mapped,
        "DynamoDB request failed"
    );
    mapped
}
