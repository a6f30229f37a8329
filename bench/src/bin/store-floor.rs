//! The floor of every route: a bare Lambda function that makes only the raw DynamoDB call the
//! route needs, with the same item, page size and conditions, and nothing else. Set up exactly
//! as a function (a single-threaded runtime, the same allocator, lambda_runtime, the project's
//! SDK loader from the environment, the connection opened during init, the same release
//! profile), but with no event parsing beyond what the call needs, no domain and no logging.
//! The route is the event's `routeKey`, read back into a [`Route`]; each has its call below:
//!
//! | route        | raw call                                                                 |
//! | ------------ | ------------------------------------------------------------------------ |
//! | `ListItems`  | `Scan` for `limit + 1` items (the function's look-ahead)                  |
//! | `GetItem`    | `GetItem`, consistent read                                               |
//! | `CreateItem` | `PutItem` of the body's fields and the stored attributes, on             |
//! |              | `attribute_not_exists(id)`                                               |
//! | `UpdateItem` | `UpdateItem` setting the body's fields (all of them: a replace), then    |
//! | `PatchItem`  | (only those the merge patch holds, `null` removed) `updated_at`,         |
//! |              | version and write id, returning the new item, on existence, creator and  |
//! |              | a new write id: the one expression the store builds for both             |
//! | `DeleteItem` | `DeleteItem` on existence and creator                                    |
//!
//! The writes carry the route's whole condition (the caller is the creator, the bench sends no
//! `If-Match`) and ask for the old item when it fails, as the routes do: a condition costs the
//! store work, so a floor without it would flatter the route's ratio less than it should.
//!
//! It answers with the route's success status, the time the call took inside the process
//! (`store_us`), so the bench can tell the raw round trip from what the Runtime API adds around
//! it, and, for a create, the new id.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use items_apigateway::{FunctionConfig, Route};
use items_dynamodb::table_design::ITEM_KEY;
use items_sdk_config::{sdk_config_from_env, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

type Error = lambda_runtime::Error;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let table = FunctionConfig::from_env()?.tables.items;
    let client = Client::new(&sdk_config_from_env(Timeouts::default()).await?);
    // As the functions do: the connection is opened during init.
    let _ = client
        .get_item()
        .table_name(&table)
        .key(ITEM_KEY, string("00000000-0000-0000-0000-000000000000"))
        .send()
        .await;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (client, table) = (client.clone(), table.clone());
        async move { raw_call(&client, &table, &event.payload).await }
    }))
    .await
}

fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The body's fields, sorted by name: each a string to set, or `None` (a merge patch's `null`)
/// to remove.
fn body_fields(body: &Value) -> Result<Vec<(&str, Option<&str>)>, Error> {
    let Some(fields) = body.as_object() else {
        return Err("the body is not a JSON object".into());
    };
    let mut fields = fields
        .iter()
        .map(|(field, value)| match value {
            Value::String(text) => Ok((field.as_str(), Some(text.as_str()))),
            Value::Null => Ok((field.as_str(), None)),
            _ => Err(format!("the floor sets string fields only, not {field}").into()),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    fields.sort_unstable();
    Ok(fields)
}

async fn raw_call(client: &Client, table: &str, event: &Value) -> Result<Value, Error> {
    let route_key = text(event, "/routeKey");
    let route =
        Route::from_route_key(route_key).ok_or_else(|| format!("no route {route_key:?}"))?;
    let id = text(event, "/pathParameters/id").to_owned();
    let caller = text(event, "/requestContext/authorizer/jwt/claims/sub");
    let body: Value = serde_json::from_str(text(event, "/body")).unwrap_or(Value::Null);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sent = Instant::now();
    let (found, created) = match route {
        Route::ListItems => {
            let limit: i32 = text(event, "/queryStringParameters/limit")
                .parse()
                .unwrap_or(20);
            client
                .scan()
                .table_name(table)
                .limit(limit + 1)
                .send()
                .await?;
            (true, None)
        }
        Route::GetItem => {
            let found = client
                .get_item()
                .table_name(table)
                .key(ITEM_KEY, string(id))
                .consistent_read(true)
                .send()
                .await?
                .item
                .is_some();
            (found, None)
        }
        Route::CreateItem => {
            let id = uuid::Uuid::new_v4().to_string();
            let mut item: HashMap<String, AttributeValue> = body_fields(&body)?
                .into_iter()
                .filter_map(|(field, value)| Some((field.to_owned(), string(value?))))
                .collect();
            item.extend([
                (ITEM_KEY.to_owned(), string(&id)),
                ("created_at".to_owned(), string(&now)),
                ("updated_at".to_owned(), string(&now)),
                ("created_by".to_owned(), string(caller)),
                ("version".to_owned(), AttributeValue::N("1".to_owned())),
            ]);
            client
                .put_item()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#id)")
                .expression_attribute_names("#id", ITEM_KEY)
                .send()
                .await?;
            (true, Some(id))
        }
        // A replace's body holds every field, a merge patch's only those it changes; the store
        // builds one update from either, so the floor does too.
        Route::UpdateItem | Route::PatchItem => {
            conditional_update(client, table, id, caller, body_fields(&body)?, &now).await?;
            (true, None)
        }
        Route::DeleteItem => {
            client
                .delete_item()
                .table_name(table)
                .key(ITEM_KEY, string(id))
                .condition_expression("attribute_exists(#id) AND #created_by = :creator")
                .expression_attribute_names("#id", ITEM_KEY)
                .expression_attribute_names("#created_by", "created_by")
                .expression_attribute_values(":creator", string(caller))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await?;
            (true, None)
        }
    };
    let store_us = sent.elapsed().as_secs_f64() * 1e6;
    let status = if found { route.success_status() } else { 404 };
    Ok(json!({ "statusCode": status, "store_us": store_us, "id": created }))
}

/// One `UpdateItem` as the store sends it for a replace or a patch: `fields` set (or removed
/// when `None`), then `updated_at`, the version one up and a new write id, on the item's
/// existence, its creator and that write id not being there yet; the new item returned, the
/// old one on a failed condition.
async fn conditional_update(
    client: &Client,
    table: &str,
    id: String,
    caller: &str,
    fields: Vec<(&str, Option<&str>)>,
    now: &str,
) -> Result<(), Error> {
    let write_id = uuid::Uuid::new_v4().simple().to_string();
    let mut update = client
        .update_item()
        .table_name(table)
        .key(ITEM_KEY, string(id))
        .condition_expression(
            "attribute_exists(#id) AND #created_by = :creator AND \
             (attribute_not_exists(#last_write_id) OR #last_write_id <> :write_id)",
        )
        .expression_attribute_names("#id", ITEM_KEY)
        .expression_attribute_names("#created_by", "created_by")
        .expression_attribute_names("#last_write_id", "last_write_id")
        .expression_attribute_names("#updated_at", "updated_at")
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":creator", string(caller))
        .expression_attribute_values(":write_id", string(write_id))
        .expression_attribute_values(":now", string(now))
        .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
    let (mut sets, mut removes) = (Vec::new(), Vec::new());
    for (field, value) in fields {
        update = update.expression_attribute_names(format!("#{field}"), field);
        match value {
            Some(value) => {
                sets.push(format!("#{field} = :{field}"));
                update = update.expression_attribute_values(format!(":{field}"), string(value));
            }
            None => removes.push(format!("#{field}")),
        }
    }
    sets.extend([
        "#updated_at = :now".to_owned(),
        "#version = #version + :one".to_owned(),
        "#last_write_id = :write_id".to_owned(),
    ]);
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    update
        .update_expression(expression)
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await?;
    Ok(())
}
