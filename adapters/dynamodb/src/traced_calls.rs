//! What each DynamoDB call acts on, for its trace: the table (or tables) its request names.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::scan::ScanInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::TransactWriteItem;
use items_traces::{AwsCallSpans, CallResource, Input};

/// The interceptor tracing every call of the repository's client, when traces are on.
pub(crate) fn traced_calls() -> Option<AwsCallSpans> {
    AwsCallSpans::when_traced(tables)
}

/// The tables a request of the operations this adapter sends names; `None` for another.
fn tables(input: &Input) -> Option<CallResource> {
    let table = |name: Option<&str>| name.map(|name| CallResource::Tables(vec![name.to_owned()]));
    if let Some(input) = input.downcast_ref::<GetItemInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<PutItemInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<UpdateItemInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<DeleteItemInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<QueryInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<ScanInput>() {
        return table(input.table_name());
    }
    if let Some(input) = input.downcast_ref::<DescribeTableInput>() {
        return table(input.table_name());
    }
    let input = input.downcast_ref::<TransactWriteItemsInput>()?;
    let mut names: Vec<String> = Vec::new();
    for name in input.transact_items().iter().filter_map(transaction_table) {
        if !names.iter().any(|named| named == name) {
            names.push(name.to_owned());
        }
    }
    (!names.is_empty()).then_some(CallResource::Tables(names))
}

fn transaction_table(item: &TransactWriteItem) -> Option<&str> {
    if let Some(put) = item.put() {
        return Some(put.table_name());
    }
    if let Some(update) = item.update() {
        return Some(update.table_name());
    }
    if let Some(delete) = item.delete() {
        return Some(delete.table_name());
    }
    item.condition_check().map(|check| check.table_name())
}
