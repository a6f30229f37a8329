//! The init-time request that opens the store connection (TCP, TLS, the first signed request)
//! before the first event, so the first caller does not pay for it.
//!
//! It is best effort and must stay cheap: one attempt (no retries) within [`WARM_UP_TIMEOUT`],
//! so an unreachable or slow store costs init at most that long; and it is a request the
//! function's own IAM policy grants (the first operation of its use case), so it never logs an
//! access denial on AWS. Writes are sent with a condition that can never hold: nothing is
//! written, and the store still answers (with a failed condition).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::error::display::DisplayErrorContext;
use items_domain::{ItemId, Port};

use crate::records::item_key;
use crate::table_design::{
    operations_of_port, Operation, Resource, CATEGORY_INDEX, CATEGORY_INDEX_PARTITION_KEY, ITEM_KEY,
};
use crate::DynamoDbItemRepository;

/// The most the warm-up may add to init. A TLS handshake with DynamoDB in the same region takes
/// a few milliseconds; a store that is slower than this is left for the first request.
pub const WARM_UP_TIMEOUT: Duration = Duration::from_millis(300);

/// A condition no item can meet: the warm-up's writes are refused, so they never change data.
const NEVER: &str = "attribute_exists(#id) AND attribute_not_exists(#id)";

/// The warm-up request for a use case: one DynamoDB call, named by its IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUp {
    /// `GetItem` of a key no item has.
    GetItem,
    /// `PutItem` of a bare key under a condition that never holds.
    PutItem,
    /// `UpdateItem` of a key, changing nothing, under a condition that never holds.
    UpdateItem,
    /// `DeleteItem` of a key under a condition that never holds.
    DeleteItem,
    /// `Scan` of at most one item.
    Scan,
    /// `Query` of the category index for at most one item.
    Query,
}

impl WarmUp {
    /// The warm-up of a function holding `ports`: a request of its first port's first
    /// operation, so the function's policy ([`grants_of_ports`]) grants it. `None` without
    /// ports.
    ///
    /// [`grants_of_ports`]: crate::table_design::grants_of_ports
    pub fn for_ports(ports: &[Port]) -> Option<Self> {
        let port = ports.first()?;
        Some(Self::for_operation(*operations_of_port(*port).first()?))
    }

    /// The warm-up request an operation's permissions allow.
    pub fn for_operation(operation: Operation) -> Self {
        match operation {
            Operation::Get => WarmUp::GetItem,
            Operation::Insert | Operation::InsertIdempotent => WarmUp::PutItem,
            Operation::Update => WarmUp::UpdateItem,
            Operation::Delete => WarmUp::DeleteItem,
            Operation::ListAll => WarmUp::Scan,
            Operation::ListCategory => WarmUp::Query,
        }
    }

    /// The resource and IAM action the request needs.
    pub fn permission(self) -> (Resource, &'static str) {
        match self {
            WarmUp::GetItem => (Resource::ItemsTable, "dynamodb:GetItem"),
            WarmUp::PutItem => (Resource::ItemsTable, "dynamodb:PutItem"),
            WarmUp::UpdateItem => (Resource::ItemsTable, "dynamodb:UpdateItem"),
            WarmUp::DeleteItem => (Resource::ItemsTable, "dynamodb:DeleteItem"),
            WarmUp::Scan => (Resource::ItemsTable, "dynamodb:Scan"),
            WarmUp::Query => (Resource::CategoryIndex, "dynamodb:Query"),
        }
    }
}

/// How the warm-up went; logged, never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmUpOutcome {
    /// The request sent.
    pub request: WarmUp,
    /// Whether the store answered (a refused condition counts: the connection is open).
    pub answered: bool,
    /// How long it took.
    pub elapsed: Duration,
}

impl DynamoDbItemRepository {
    /// Sends `request` once, within [`WARM_UP_TIMEOUT`], and logs the outcome (`store warm-up`,
    /// with `warm_up_ms`). Any answer opens the connection; a failure only leaves it to the first
    /// request.
    pub async fn warm_up(&self, request: WarmUp) -> WarmUpOutcome {
        let started = Instant::now();
        let failure = self.send_warm_up(request).await.err();
        let elapsed = started.elapsed();
        let answered = failure.as_ref().is_none_or(|f| f.answered);
        let warm_up_ms = elapsed.as_secs_f64() * 1000.0;
        let action = request.permission().1;
        match &failure {
            Some(failure) if !answered => tracing::warn!(
                action,
                warm_up_ms,
                error = %failure.error,
                "store warm-up got no answer; the first request opens the connection"
            ),
            Some(failure) => {
                tracing::info!(action, warm_up_ms, code = %failure.code, "store warm-up")
            }
            None => tracing::info!(action, warm_up_ms, "store warm-up"),
        }
        WarmUpOutcome {
            request,
            answered,
            elapsed,
        }
    }

    async fn send_warm_up(&self, request: WarmUp) -> Result<(), Failure> {
        let client = self.client();
        let items = &self.tables().items;
        let key = || Some(item_key(&ItemId::from_uuid(Default::default())));
        // One attempt within the warm-up's own budget, whatever the client's settings are. A
        // macro, because each operation's fluent builder is its own type.
        macro_rules! send_once {
            ($request:expr) => {
                $request
                    .customize()
                    .config_override(
                        aws_sdk_dynamodb::config::Builder::default()
                            .retry_config(RetryConfig::disabled())
                            .timeout_config(
                                TimeoutConfig::builder()
                                    .operation_timeout(WARM_UP_TIMEOUT)
                                    .operation_attempt_timeout(WARM_UP_TIMEOUT)
                                    .connect_timeout(WARM_UP_TIMEOUT)
                                    .build(),
                            ),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(Failure::from)
            };
        }
        match request {
            WarmUp::GetItem => send_once!(client.get_item().table_name(items).set_key(key())),
            WarmUp::PutItem => send_once!(client
                .put_item()
                .table_name(items)
                .set_item(key())
                .condition_expression(NEVER)
                .expression_attribute_names("#id", ITEM_KEY)),
            WarmUp::UpdateItem => send_once!(client
                .update_item()
                .table_name(items)
                .set_key(key())
                .condition_expression(NEVER)
                .expression_attribute_names("#id", ITEM_KEY)),
            WarmUp::DeleteItem => send_once!(client
                .delete_item()
                .table_name(items)
                .set_key(key())
                .condition_expression(NEVER)
                .expression_attribute_names("#id", ITEM_KEY)),
            WarmUp::Scan => send_once!(client.scan().table_name(items).limit(1)),
            WarmUp::Query => send_once!(client
                .query()
                .table_name(items)
                .index_name(CATEGORY_INDEX)
                .key_condition_expression("#category = :category")
                .expression_attribute_names("#category", CATEGORY_INDEX_PARTITION_KEY)
                .expression_attribute_values(":category", AttributeValue::S("-".to_owned()))
                .limit(1)),
        }
    }
}

/// A failed warm-up request: whether the store answered it, its error code and whole chain.
struct Failure {
    answered: bool,
    code: String,
    error: String,
}

impl<E> From<SdkError<E>> for Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn from(error: SdkError<E>) -> Self {
        Self {
            answered: matches!(error, SdkError::ServiceError(_)),
            code: error.code().unwrap_or("unknown").to_owned(),
            error: DisplayErrorContext(&error).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table_design::permissions;

    #[test]
    fn every_set_of_ports_warms_up_with_a_request_its_grants_allow() {
        use crate::table_design::grants_of_ports;
        use Port::*;
        let sets: [&[Port]; 6] = [
            &[Reader],
            &[Lister],
            &[Creator],
            &[Updater],
            &[Deleter],
            &[Reader, Updater],
        ];
        for ports in sets {
            let warm_up = WarmUp::for_ports(ports).expect("a warm-up");
            let (resource, action) = warm_up.permission();
            assert!(
                grants_of_ports(ports)
                    .get(&resource)
                    .is_some_and(|actions| actions.contains(action)),
                "{ports:?} warm up with {action} on {resource:?}, which they are not granted"
            );
        }
        assert_eq!(WarmUp::for_ports(&[]), None);
    }

    #[test]
    fn each_operation_warms_up_with_one_of_its_own_actions() {
        use Operation::*;
        for operation in [
            Insert,
            InsertIdempotent,
            Get,
            Update,
            Delete,
            ListAll,
            ListCategory,
        ] {
            let permission = WarmUp::for_operation(operation).permission();
            assert!(
                permissions(operation).contains(&permission),
                "{operation:?} warms up with {permission:?}"
            );
        }
    }
}
