//! The floor of every route: a bare Lambda function that makes only the raw DynamoDB call the
//! route needs, with the same item, page size and conditions, and nothing else. Set up exactly
//! as a function (a single-threaded runtime, lambda_runtime, the project's SDK loader from the
//! environment, the connection opened during init, the same release profile), but with no event
//! parsing beyond what the call needs, no domain and no logging.
//!
//! | route                | raw call                                                        |
//! | -------------------- | --------------------------------------------------------------- |
//! | `GET /items`         | `Scan` for `limit + 1` items (the function's look-ahead)         |
//! | `GET /items/{id}`    | `GetItem`, consistent read                                      |
//! | `POST /items`        | `PutItem` of a whole item, on `attribute_not_exists(id)`        |
//! | `PUT /items/{id}`    | `UpdateItem` of the fields, version and write id, returning the |
//! |                      | new item, on existence, creator and a new write id              |
//! | `DELETE /items/{id}` | `DeleteItem` on existence and creator                           |
//!
//! The writes carry the route's whole condition (the caller is the creator, the bench sends no
//! `If-Match`) and ask for the old item when it fails, as the routes do: a condition costs the
//! store work, so a floor without it would flatter the route's ratio less than it should.
//!
//! It answers with the time the call took inside the process (`store_us`), so the bench can tell
//! the raw round trip from what the Runtime API adds around it, and, for `POST`, the new id.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use items_apigateway::FunctionConfig;
use items_dynamodb::table_design::ITEM_KEY;
use items_dynamodb::{sdk_config_from_env, Timeouts};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::{json, Value};

type Error = lambda_runtime::Error;

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

async fn raw_call(client: &Client, table: &str, event: &Value) -> Result<Value, Error> {
    let id = text(event, "/pathParameters/id").to_owned();
    let body: Value = serde_json::from_str(text(event, "/body")).unwrap_or(Value::Null);
    let now = chrono::Utc::now()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        .to_owned();
    let sent = Instant::now();
    let (status, created) = match text(event, "/routeKey") {
        "GET /items" => {
            let limit: i32 = text(event, "/queryStringParameters/limit")
                .parse()
                .unwrap_or(20);
            client
                .scan()
                .table_name(table)
                .limit(limit + 1)
                .send()
                .await?;
            (200, None)
        }
        "GET /items/{id}" => {
            let found = client
                .get_item()
                .table_name(table)
                .key(ITEM_KEY, string(id))
                .consistent_read(true)
                .send()
                .await?
                .item
                .is_some();
            (if found { 200 } else { 404 }, None)
        }
        "POST /items" => {
            let id = uuid::Uuid::new_v4().to_string();
            let owner = text(event, "/requestContext/authorizer/jwt/claims/sub");
            let item = HashMap::from([
                (ITEM_KEY.to_owned(), string(&id)),
                ("name".to_owned(), string(text(&body, "/name"))),
                (
                    "description".to_owned(),
                    string(text(&body, "/description")),
                ),
                ("category".to_owned(), string(text(&body, "/category"))),
                ("created_at".to_owned(), string(&now)),
                ("updated_at".to_owned(), string(&now)),
                ("created_by".to_owned(), string(owner)),
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
            (201, Some(id))
        }
        "PUT /items/{id}" => {
            let caller = text(event, "/requestContext/authorizer/jwt/claims/sub");
            let write_id = uuid::Uuid::new_v4().simple().to_string();
            client
                .update_item()
                .table_name(table)
                .key(ITEM_KEY, string(id))
                .update_expression(
                    "SET #category = :category, #description = :description, #name = :name, \
                     #updated_at = :now, #version = #version + :one, \
                     #last_write_id = :write_id",
                )
                .condition_expression(
                    "attribute_exists(#id) AND #created_by = :creator AND \
                     (attribute_not_exists(#last_write_id) OR #last_write_id <> :write_id)",
                )
                .expression_attribute_names("#id", ITEM_KEY)
                .expression_attribute_names("#created_by", "created_by")
                .expression_attribute_names("#last_write_id", "last_write_id")
                .expression_attribute_names("#name", "name")
                .expression_attribute_names("#description", "description")
                .expression_attribute_names("#category", "category")
                .expression_attribute_names("#updated_at", "updated_at")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":creator", string(caller))
                .expression_attribute_values(":write_id", string(write_id))
                .expression_attribute_values(":name", string(text(&body, "/name")))
                .expression_attribute_values(":description", string(text(&body, "/description")))
                .expression_attribute_values(":category", string(text(&body, "/category")))
                .expression_attribute_values(":now", string(&now))
                .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await?;
            (200, None)
        }
        "DELETE /items/{id}" => {
            let caller = text(event, "/requestContext/authorizer/jwt/claims/sub");
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
            (204, None)
        }
        other => return Err(format!("no floor for route {other:?}").into()),
    };
    let store_us = sent.elapsed().as_secs_f64() * 1e6;
    Ok(json!({ "statusCode": status, "store_us": store_us, "id": created }))
}
