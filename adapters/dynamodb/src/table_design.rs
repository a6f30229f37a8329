//! The table design, in one place: the repository, the table creation for local use and tests,
//! and the infrastructure consistency check read it. The Terraform declares the same names.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use items_domain::Port;

use crate::config::TableNames;

/// The items table's partition key.
pub const ITEM_KEY: &str = "id";
/// The sparse index listing one category newest first; items without a category are not in it.
pub const CATEGORY_INDEX: &str = "by-category";
/// The category index's partition key.
pub const CATEGORY_INDEX_PARTITION_KEY: &str = "category";
/// The category index's sort key: RFC 3339 UTC with milliseconds, whose text order is time order.
pub const CATEGORY_INDEX_SORT_KEY: &str = "created_at";
/// The idempotency table's partition key: the caller's subject and their key.
pub const IDEMPOTENCY_KEY: &str = "scope";
/// The idempotency table's TTL attribute (epoch seconds).
pub const IDEMPOTENCY_TTL_ATTRIBUTE: &str = "expires_at";
/// The items table's stream view: the change feed reads the item before and after each write.
pub const ITEMS_STREAM_VIEW_TYPE: &str = "NEW_AND_OLD_IMAGES";

/// The resources a function may be granted access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// The items table.
    ItemsTable,
    /// The `by-category` index of the items table.
    CategoryIndex,
    /// The idempotency table.
    IdempotencyTable,
}

impl Resource {
    /// The resource's name in `routes.json` and the Terraform.
    pub fn name(self) -> &'static str {
        match self {
            Resource::ItemsTable => "items_table",
            Resource::CategoryIndex => "category_index",
            Resource::IdempotencyTable => "idempotency_table",
        }
    }
}

/// The store's operations, one per port method, as far as IAM is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `ItemCreator::insert`: a conditional PutItem.
    Insert,
    /// `ItemCreator::insert_idempotent`: a TransactWriteItems of two conditional Puts.
    InsertIdempotent,
    /// `ItemReader::get`: a GetItem.
    Get,
    /// `ItemUpdater::update`: a conditional UpdateItem.
    Update,
    /// `ItemDeleter::delete`: a conditional DeleteItem.
    Delete,
    /// `ItemLister::list_page` without a category: a Scan of the items table.
    ListAll,
    /// `ItemLister::list_page` with a category: a Query of the category index.
    ListCategory,
}

/// The DynamoDB actions an operation sends, on which resource: what a least-privilege policy
/// must allow, and all it need allow. The one place that says what each port method sends.
pub fn permissions(operation: Operation) -> &'static [(Resource, &'static str)] {
    use Resource::*;
    match operation {
        Operation::Insert => &[(ItemsTable, "dynamodb:PutItem")],
        // A TransactWriteItems of two Puts is authorised as a PutItem on each table.
        Operation::InsertIdempotent => &[
            (ItemsTable, "dynamodb:PutItem"),
            (IdempotencyTable, "dynamodb:PutItem"),
        ],
        Operation::Get => &[(ItemsTable, "dynamodb:GetItem")],
        Operation::Update => &[(ItemsTable, "dynamodb:UpdateItem")],
        Operation::Delete => &[(ItemsTable, "dynamodb:DeleteItem")],
        Operation::ListAll => &[(ItemsTable, "dynamodb:Scan")],
        Operation::ListCategory => &[(CategoryIndex, "dynamodb:Query")],
    }
}

/// The operations behind each port: everything a store handed to a use case as that port may
/// send.
pub fn operations_of_port(port: Port) -> &'static [Operation] {
    use Operation::*;
    match port {
        Port::Reader => &[Get],
        Port::Lister => &[ListAll, ListCategory],
        Port::Creator => &[Insert, InsertIdempotent],
        Port::Updater => &[Update],
        Port::Deleter => &[Delete],
    }
}

/// What a function holding `ports` must be granted, and all it need be: each resource with
/// its DynamoDB actions. `routes.json`, and so the Terraform's policies, is generated from it.
pub fn grants_of_ports(ports: &[Port]) -> BTreeMap<Resource, BTreeSet<&'static str>> {
    let mut grants: BTreeMap<Resource, BTreeSet<&'static str>> = BTreeMap::new();
    for operation in ports.iter().flat_map(|port| operations_of_port(*port)) {
        for (resource, action) in permissions(*operation) {
            grants.entry(*resource).or_default().insert(action);
        }
    }
    grants
}

/// Why tables could not be created.
#[derive(Debug, thiserror::Error)]
#[error("could not create table {table}: {reason}")]
pub struct CreateTablesError {
    /// The table being created or configured.
    pub table: String,
    /// The SDK's error, with its whole chain.
    pub reason: String,
}

#[allow(
    clippy::expect_used,
    reason = "the builder fails only without its two fields, set just above"
)]
fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and key type are set")
}

#[allow(
    clippy::expect_used,
    reason = "the builder fails only without its two fields, set just above"
)]
fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

/// The items table's stream, as the change feed needs it.
#[allow(
    clippy::expect_used,
    reason = "the builder fails only without `stream_enabled`, set just above"
)]
fn items_stream() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::from(ITEMS_STREAM_VIEW_TYPE))
        .build()
        .expect("enabled is set")
}

/// Creates both tables with this design if they are missing, waits until they are active, and
/// turns on the items table's stream (`NEW_AND_OLD_IMAGES`) and the idempotency table's TTL.
/// For local use and tests; production tables come from the Terraform.
pub async fn create_tables(client: &Client, names: &TableNames) -> Result<(), CreateTablesError> {
    let failed = |table: &str, error: String| CreateTablesError {
        table: table.to_owned(),
        reason: error,
    };
    let category_index = GlobalSecondaryIndex::builder()
        .index_name(CATEGORY_INDEX)
        .key_schema(key(CATEGORY_INDEX_PARTITION_KEY, KeyType::Hash))
        .key_schema(key(CATEGORY_INDEX_SORT_KEY, KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| failed(&names.items, e.to_string()))?;
    let items = client
        .create_table()
        .table_name(&names.items)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(ITEM_KEY, KeyType::Hash))
        .attribute_definitions(string_attribute(ITEM_KEY))
        .attribute_definitions(string_attribute(CATEGORY_INDEX_PARTITION_KEY))
        .attribute_definitions(string_attribute(CATEGORY_INDEX_SORT_KEY))
        .global_secondary_indexes(category_index)
        .stream_specification(items_stream())
        .send()
        .await;
    accept_existing(items).map_err(|e| failed(&names.items, e))?;
    let idempotency = client
        .create_table()
        .table_name(&names.idempotency)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(IDEMPOTENCY_KEY, KeyType::Hash))
        .attribute_definitions(string_attribute(IDEMPOTENCY_KEY))
        .send()
        .await;
    accept_existing(idempotency).map_err(|e| failed(&names.idempotency, e))?;
    for table in [&names.items, &names.idempotency] {
        wait_until_active(client, table)
            .await
            .map_err(|e| failed(table, e))?;
    }
    // A table made before the change feed existed gets its stream now.
    let items = client
        .describe_table()
        .table_name(&names.items)
        .send()
        .await
        .map_err(|e| failed(&names.items, error_text(&e)))?;
    let has_stream = items
        .table()
        .and_then(|t| t.stream_specification())
        .is_some_and(|stream| stream.stream_enabled());
    if !has_stream {
        client
            .update_table()
            .table_name(&names.items)
            .stream_specification(items_stream())
            .send()
            .await
            .map_err(|e| failed(&names.items, error_text(&e)))?;
        wait_until_active(client, &names.items)
            .await
            .map_err(|e| failed(&names.items, e))?;
    }
    // Checked rather than assumed from "just created": a run that stopped between creating
    // the table and enabling TTL is completed by the next one. Enabling it twice is an error.
    let ttl = client
        .describe_time_to_live()
        .table_name(&names.idempotency)
        .send()
        .await
        .map_err(|e| failed(&names.idempotency, error_text(&e)))?;
    let ttl_enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|status| {
            matches!(
                status,
                TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling
            )
        });
    if !ttl_enabled {
        client
            .update_time_to_live()
            .table_name(&names.idempotency)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(IDEMPOTENCY_TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(|e| failed(&names.idempotency, e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| failed(&names.idempotency, error_text(&e)))?;
    }
    Ok(())
}

/// A created table, or one that already existed, is fine.
fn accept_existing<T, E>(
    outcome: Result<T, aws_sdk_dynamodb::error::SdkError<E>>,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match outcome {
        Ok(_) => Ok(()),
        Err(error) if error.code() == Some("ResourceInUseException") => Ok(()),
        Err(error) => Err(error_text(&error)),
    }
}

fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(error).to_string()
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), String> {
    for _ in 0..120 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        if described.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err("the table did not become active within 30 s".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_functions_grants_are_the_actions_of_its_ports_operations_on_their_resources() {
        let list = grants_of_ports(&[Port::Lister]);
        assert_eq!(
            list,
            BTreeMap::from([
                (Resource::ItemsTable, BTreeSet::from(["dynamodb:Scan"])),
                (Resource::CategoryIndex, BTreeSet::from(["dynamodb:Query"])),
            ])
        );
        let create = grants_of_ports(&[Port::Creator]);
        assert_eq!(
            create,
            BTreeMap::from([
                (Resource::ItemsTable, BTreeSet::from(["dynamodb:PutItem"])),
                (
                    Resource::IdempotencyTable,
                    BTreeSet::from(["dynamodb:PutItem"])
                ),
            ])
        );
        assert!(grants_of_ports(&[]).is_empty());
    }
}
