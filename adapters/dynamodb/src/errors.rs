//! SDK errors to the port's errors: the one place that knows what a DynamoDB failure means.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use items_domain::RepositoryError;

/// Error codes after which the same request may succeed later: throttling and server-side
/// faults. The SDK has already retried these (standard mode) before they reach us.
const RETRYABLE_CODES: [&str; 8] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "LimitExceededException",
    "TransactionInProgressException",
];

/// What an SDK error means for the caller: `Unavailable` when trying again later may succeed
/// (throttled, timed out, unreachable, a 5xx), `Internal` for everything else.
pub(crate) fn classify<E>(error: &SdkError<E>) -> RepositoryError
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::TimeoutError(_) => RepositoryError::Unavailable,
        // A misconfigured client (say, an endpoint URL that does not parse) is our fault, not
        // the store's; connection refused, reset or timed out is the store being unreachable.
        SdkError::DispatchFailure(failure) if failure.is_user() => RepositoryError::Internal,
        SdkError::DispatchFailure(_) => RepositoryError::Unavailable,
        // A response cut off mid-body: the connection dropped.
        SdkError::ResponseError(_) => RepositoryError::Unavailable,
        SdkError::ServiceError(service) => {
            let retryable_code = service
                .err()
                .code()
                .is_some_and(|code| RETRYABLE_CODES.contains(&code));
            if retryable_code || service.raw().status().is_server_error() {
                RepositoryError::Unavailable
            } else {
                RepositoryError::Internal
            }
        }
        _ => RepositoryError::Internal,
    }
}

/// Maps an SDK error and logs it with its whole chain (never shown to callers). `operation`
/// names the DynamoDB call for the log.
pub(crate) fn store_error<E>(operation: &'static str, error: &SdkError<E>) -> RepositoryError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mapped = classify(error);
    tracing::error!(
        operation,
        error = %DisplayErrorContext(error),
        mapped = ?mapped,
        "DynamoDB request failed"
    );
    mapped
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::types::error::{
        ProvisionedThroughputExceededException, RequestLimitExceeded, ResourceNotFoundException,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).expect("a valid status"),
            SdkBody::empty(),
        )
    }

    fn service_error(error: GetItemError, status: u16) -> SdkError<GetItemError> {
        SdkError::service_error(error, response(status))
    }

    /// The code the SDK's deserializer records for every error it reads.
    fn code(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).build()
    }

    fn unhandled(error_code: &str, status: u16) -> SdkError<GetItemError> {
        service_error(GetItemError::generic(code(error_code)), status)
    }

    #[test]
    fn throttling_is_unavailable() {
        let throttled = ProvisionedThroughputExceededException::builder()
            .meta(code("ProvisionedThroughputExceededException"))
            .build();
        assert_eq!(
            classify(&service_error(
                GetItemError::ProvisionedThroughputExceededException(throttled),
                400
            )),
            RepositoryError::Unavailable
        );
        let limited = RequestLimitExceeded::builder()
            .meta(code("RequestLimitExceeded"))
            .build();
        assert_eq!(
            classify(&service_error(
                GetItemError::RequestLimitExceeded(limited),
                400
            )),
            RepositoryError::Unavailable
        );
        assert_eq!(
            classify(&unhandled("ThrottlingException", 400)),
            RepositoryError::Unavailable
        );
    }

    #[test]
    fn server_faults_are_unavailable() {
        assert_eq!(
            classify(&unhandled("ServiceUnavailable", 503)),
            RepositoryError::Unavailable
        );
        assert_eq!(
            classify(&unhandled("SomethingNew", 500)),
            RepositoryError::Unavailable
        );
    }

    #[test]
    fn timeouts_and_unreachable_stores_are_unavailable() {
        let timeout: SdkError<GetItemError> = SdkError::timeout_error("attempt timed out");
        assert_eq!(classify(&timeout), RepositoryError::Unavailable);
        let refused: SdkError<GetItemError> = SdkError::dispatch_failure(ConnectorError::io(
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into(),
        ));
        assert_eq!(classify(&refused), RepositoryError::Unavailable);
    }

    #[test]
    fn client_side_and_request_faults_are_internal() {
        let misconfigured: SdkError<GetItemError> =
            SdkError::dispatch_failure(ConnectorError::user("bad endpoint".into()));
        assert_eq!(classify(&misconfigured), RepositoryError::Internal);
        let missing_table = ResourceNotFoundException::builder()
            .meta(code("ResourceNotFoundException"))
            .build();
        assert_eq!(
            classify(&service_error(
                GetItemError::ResourceNotFoundException(missing_table),
                400
            )),
            RepositoryError::Internal
        );
        assert_eq!(
            classify(&unhandled("ValidationException", 400)),
            RepositoryError::Internal
        );
        assert_eq!(
            classify(&unhandled("AccessDeniedException", 400)),
            RepositoryError::Internal
        );
    }
}
