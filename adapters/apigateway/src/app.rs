//! The application a function runs: the use cases behind one handler per route.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use items_domain::limits::BODY_MAX_BYTES;
use items_domain::{
    Caller, CreateItem, DeleteItem, FieldError, GetItem, IdempotencyKey, Item, ItemFields, ItemId,
    ItemRepository, ListItems, Page, PageRequest, Subject, SystemClock, UpdateItem, UuidV4Ids,
    Version,
};
use serde_json::{json, Value};

use crate::body::parse_item_fields;
use crate::compression::compress_response;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::request::{parse_event, ApiRequest, Incoming, PayloadVersion};
use crate::response::ApiResponse;
use crate::route::Route;

type Store = Arc<dyn ItemRepository>;

/// The use cases, one per route, over one store.
struct UseCases {
    list: ListItems<Store>,
    get: GetItem<Store>,
    create: CreateItem<Store>,
    update: UpdateItem<Store>,
    delete: DeleteItem<Store>,
}

/// The items API behind API Gateway: one instance per process, built once at cold start.
pub struct App {
    use_cases: UseCases,
    config: Config,
    metrics: Metrics,
    cold: AtomicBool,
}

impl App {
    /// An app over a store, with the system clock and random ids; metrics are off (see
    /// [`App::with_metrics`]).
    pub fn new(store: Store, config: Config) -> Self {
        let clock = Arc::new(SystemClock);
        Self {
            use_cases: UseCases {
                list: ListItems::new(store.clone()),
                get: GetItem::new(store.clone()),
                create: CreateItem::new(store.clone(), clock.clone(), Arc::new(UuidV4Ids)),
                update: UpdateItem::new(store.clone(), clock),
                delete: DeleteItem::new(store),
            },
            config,
            metrics: Metrics::Off,
            cold: AtomicBool::new(true),
        }
    }

    /// The same app, writing metrics to `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Handles one invocation: an API Gateway event of payload 2.0 or 1.0, or a warm-up event.
    /// Every outcome, bad input and store failures included, is a response: this never fails
    /// and never panics on what the event holds.
    pub async fn handle_event(&self, route: Route, event: Value) -> Value {
        if self.cold.swap(false, Ordering::Relaxed) {
            self.metrics.count("ColdStart");
        }
        let started = Instant::now();
        let request = match parse_event(event) {
            Ok(Incoming::Warmup) => return json!({"warmup": true}),
            Ok(Incoming::Api(request)) => request,
            Err(malformed) => {
                tracing::warn!(request_id = %malformed.request_id, route = route.route_key(), reason = %malformed.reason, "malformed event");
                return Problem::malformed_event(&malformed.reason)
                    .into_response(&malformed.request_id)
                    .into_event(PayloadVersion::V2, &malformed.request_id);
            }
        };
        let caller = self.caller(&request);
        let response = match &caller {
            Some(caller) => self
                .dispatch(route, &request, caller)
                .await
                .unwrap_or_else(|problem| problem.into_response(&request.request_id)),
            None => Problem::unauthorized().into_response(&request.request_id),
        };
        tracing::info!(
            request_id = %request.request_id,
            route = route.route_key(),
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            caller = caller.as_ref().map(|c| c.subject.as_str()).unwrap_or(""),
            "request"
        );
        compress_response(
            response.into_event(request.payload, &request.request_id),
            request.payload,
            request.header("accept-encoding"),
        )
    }

    /// The verified caller, from the authorizer's claims; `None` means 401.
    fn caller(&self, request: &ApiRequest) -> Option<Caller> {
        let subject = Subject::parse(request.claims.sub.as_deref()?).ok()?;
        let is_admin = request.claims.groups.contains(&self.config.admin_group);
        Some(Caller { subject, is_admin })
    }

    async fn dispatch(
        &self,
        route: Route,
        request: &ApiRequest,
        caller: &Caller,
    ) -> Result<ApiResponse, Problem> {
        match route {
            Route::ListItems => {
                let page_request = PageRequest::parse(
                    request.query_parameter("limit"),
                    request.query_parameter("category"),
                    request.query_parameter("cursor"),
                )?;
                let page = self.use_cases.list.list(caller, &page_request).await?;
                Ok(ApiResponse::json(200, &page_json(&page)))
            }
            Route::GetItem => {
                let id = path_id(request).map_err(|e| vec![e])?;
                let item = self.use_cases.get.get(caller, &id).await?;
                Ok(item_response(200, &item))
            }
            Route::CreateItem => {
                let body = read_body(request)?;
                let mut errors = Vec::new();
                let key = match request.header("idempotency-key") {
                    Some(raw) => IdempotencyKey::parse(raw).map_err(|e| errors.push(e)).ok(),
                    None if request.header_is_unreadable("idempotency-key") => {
                        // Bytes outside visible ASCII: the key rule's own message explains.
                        errors.extend(IdempotencyKey::parse("\u{7f}").err());
                        None
                    }
                    None => None,
                };
                let fields = parse_fields(&body, &mut errors);
                let (Some(fields), true) = (fields, errors.is_empty()) else {
                    return Err(Problem::validation(errors));
                };
                let creation = self.use_cases.create.create(caller, fields, key).await?;
                if !creation.replayed {
                    self.metrics.count("ItemsCreated");
                }
                let item = creation.item;
                Ok(item_response(201, &item).header("location", format!("/items/{}", item.id)))
            }
            Route::UpdateItem => {
                let mut errors = Vec::new();
                let id = path_id(request).map_err(|e| errors.push(e)).ok();
                let expected = if_match(request).map_err(|e| errors.push(e)).ok();
                let body = read_body(request)?;
                let fields = parse_fields(&body, &mut errors);
                let (Some(id), Some(expected), Some(fields)) = (id, expected, fields) else {
                    return Err(Problem::validation(errors));
                };
                let item = self
                    .use_cases
                    .update
                    .update(caller, &id, fields, expected)
                    .await?;
                Ok(item_response(200, &item))
            }
            Route::DeleteItem => {
                let mut errors = Vec::new();
                let id = path_id(request).map_err(|e| errors.push(e)).ok();
                let expected = if_match(request).map_err(|e| errors.push(e)).ok();
                let (Some(id), Some(expected)) = (id, expected) else {
                    return Err(Problem::validation(errors));
                };
                self.use_cases.delete.delete(caller, &id, expected).await?;
                Ok(ApiResponse::no_content())
            }
        }
    }
}

fn parse_fields(body: &[u8], errors: &mut Vec<FieldError>) -> Option<ItemFields> {
    parse_item_fields(body).map_err(|e| errors.extend(e)).ok()
}

fn path_id(request: &ApiRequest) -> Result<ItemId, FieldError> {
    let raw = request
        .path_parameters
        .get("id")
        .map(String::as_str)
        .unwrap_or_default();
    ItemId::parse(raw)
}

/// `If-Match`: absent or `*` (any existing item) means no version precondition; otherwise one
/// strong entity tag, `"<version>"`.
fn if_match(request: &ApiRequest) -> Result<Option<Version>, FieldError> {
    let invalid = || FieldError::new("If-Match", "must be \"<version>\" or *");
    if request.header_is_unreadable("if-match") {
        return Err(invalid());
    }
    let Some(raw) = request.header("if-match").map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let digits = raw
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|d| !d.is_empty() && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(invalid)?;
    digits
        .parse::<u64>()
        .ok()
        .and_then(Version::new)
        .map(Some)
        .ok_or_else(invalid)
}

/// The body's bytes: JSON content type required, base64 decoded, at most 16 KiB.
fn read_body(request: &ApiRequest) -> Result<Vec<u8>, Problem> {
    let raw = request.body.as_deref().unwrap_or_default();
    // Reject oversize bodies before decoding: base64 grows by 4/3, so anything longer than this
    // cannot decode to 16 KiB.
    let max_raw = if request.is_base64_encoded {
        BODY_MAX_BYTES.div_ceil(3) * 4
    } else {
        BODY_MAX_BYTES
    };
    if raw.len() > max_raw {
        return Err(Problem::payload_too_large(BODY_MAX_BYTES));
    }
    let is_json = request.header("content-type").is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return Err(Problem::unsupported_media_type());
    }
    let bytes = if request.is_base64_encoded {
        STANDARD.decode(raw).map_err(|_| {
            Problem::validation(vec![FieldError::new("body", "is not valid base64")])
        })?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > BODY_MAX_BYTES {
        return Err(Problem::payload_too_large(BODY_MAX_BYTES));
    }
    Ok(bytes)
}

fn item_response(status: u16, item: &Item) -> ApiResponse {
    ApiResponse::json(status, &item_json(item)).header("etag", format!("\"{}\"", item.version))
}

/// An item as the API shows it; `category` is absent when the item has none.
pub fn item_json(item: &Item) -> Value {
    let mut body = json!({
        "id": item.id.to_string(),
        "name": item.name.as_str(),
        "description": item.description.as_str(),
        "created_at": item.created_at.to_rfc3339(),
        "updated_at": item.updated_at.to_rfc3339(),
        "created_by": item.created_by.as_str(),
        "version": item.version.get(),
    });
    if let Some(category) = &item.category {
        body["category"] = Value::String(category.as_str().to_owned());
    }
    body
}

fn page_json(page: &Page<Item>) -> Value {
    json!({
        "items": page.items.iter().map(item_json).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor.as_ref().map(|c| c.encode()),
    })
}
