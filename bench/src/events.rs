//! The events the functions receive, built exactly as the local stage builds them for API
//! Gateway's payload 2.0: a real token from the local issuer, checked by the stage's JWT
//! authorizer, its claims in the request context, the usual forwarded headers.

use items_apigateway::body::MERGE_PATCH;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use apigateway_emulator::events::{build_event, IncomingRequest, MatchedRoute};
use apigateway_emulator::{
    JwtAuthorizer, LocalIssuer, PayloadVersion, VerifiedClaims, DEFAULT_TOKEN_LIFETIME,
    LOCAL_AUDIENCE, LOCAL_ISSUER,
};
use items_apigateway::Route;
use serde_json::{json, Value};

use crate::BoxError;

/// The caller of every benchmark request.
pub(crate) const CALLER: &str = "bench-user";

/// One request to one of the API's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiCall {
    /// A listing (`Route::ListItems`) of one page, with `Accept-Encoding: gzip` or without.
    List(Listing),
    /// One item (`Route::GetItem`).
    Get(String),
    /// A new item (`Route::CreateItem`), the `n`th.
    Create(u64),
    /// An item's fields replaced (`Route::UpdateItem`), the `n`th change.
    Update(String, u64),
    /// An item's description changed by a merge patch (`Route::PatchItem`), the `n`th change.
    Patch(String, u64),
    /// An item removed (`Route::DeleteItem`).
    Delete(String),
}

impl ApiCall {
    /// The route the call goes to.
    pub(crate) fn route(&self) -> Route {
        match self {
            ApiCall::List(_) => Route::ListItems,
            ApiCall::Get(_) => Route::GetItem,
            ApiCall::Create(_) => Route::CreateItem,
            ApiCall::Update(..) => Route::UpdateItem,
            ApiCall::Patch(..) => Route::PatchItem,
            ApiCall::Delete(_) => Route::DeleteItem,
        }
    }

    /// The route key the call goes to.
    pub(crate) fn route_key(&self) -> &'static str {
        self.route().route_key()
    }

    /// The status a successful call answers with, as its route declares it.
    pub(crate) fn success_status(&self) -> u16 {
        self.route().success_status()
    }

    /// The item the call names in its path, if its route has one.
    pub(crate) fn id(&self) -> Option<&str> {
        match self {
            ApiCall::List(_) | ApiCall::Create(_) => None,
            ApiCall::Get(id)
            | ApiCall::Update(id, _)
            | ApiCall::Patch(id, _)
            | ApiCall::Delete(id) => Some(id),
        }
    }

    /// The query string (without `?`).
    pub(crate) fn query(&self) -> String {
        match self {
            ApiCall::List(listing) => format!("limit={}", listing.limit),
            _ => String::new(),
        }
    }

    /// The `Accept-Encoding` the call sends, if any.
    pub(crate) fn accept_encoding(&self) -> Option<&'static str> {
        match self {
            ApiCall::List(listing) if listing.gzip => Some("gzip, deflate, br"),
            _ => None,
        }
    }

    /// The body and its media type, if the call has one.
    pub(crate) fn body(&self) -> Option<(Value, &'static str)> {
        match self {
            ApiCall::Create(n) | ApiCall::Update(_, n) => Some((item_body(*n), JSON)),
            ApiCall::Patch(_, n) => Some((item_patch(*n), MERGE_PATCH)),
            ApiCall::List(_) | ApiCall::Get(_) | ApiCall::Delete(_) => None,
        }
    }

    /// The method and the path (the route key's, its `{id}` replaced by the call's item).
    pub(crate) fn request_line(&self) -> Result<(reqwest::Method, String), BoxError> {
        items_loadtest::request_line(self.route(), self.id().unwrap_or_default()).ok_or_else(|| {
            format!("the route key {:?} is not METHOD /path", self.route_key()).into()
        })
    }

    /// Whether `response` (a proxy response) has the route's success status: if not, an error
    /// naming the route and what it answered.
    pub(crate) fn check_status(&self, response: &Value) -> Result<(), BoxError> {
        let status = response["statusCode"].as_u64();
        if status == Some(u64::from(self.success_status())) {
            return Ok(());
        }
        Err(format!(
            "{} answered {}: {response}",
            self.route_key(),
            status.map_or_else(|| "no status".to_owned(), |s| s.to_string()),
        )
        .into())
    }
}

/// The media type of a JSON body.
const JSON: &str = "application/json";

/// A listing request: the page size, and whether the caller accepts a gzip response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listing {
    /// `limit`.
    pub limit: u32,
    /// Whether the request carries `Accept-Encoding: gzip`.
    pub gzip: bool,
}

impl Listing {
    /// The listing the list route's latency is measured with: a page of 20, as a browser asks.
    pub(crate) const DEFAULT: Listing = Listing {
        limit: 20,
        gzip: true,
    };
}

/// The description of every benchmark item: a few sentences, a typical size.
pub(crate) const ITEM_DESCRIPTION: &str =
    "A desk lamp with an adjustable arm, a warm white LED and a weighted base; bought for the \
     workshop, kept on the shelf by the window.";

/// The category of every benchmark item.
pub(crate) const ITEM_CATEGORY: &str = "bench";

/// The name of the `n`th benchmark item.
pub(crate) fn item_name(n: u64) -> String {
    format!("Bench item {n}")
}

/// A request body of a typical size: a name, a description of a few sentences, a category.
pub(crate) fn item_body(n: u64) -> Value {
    json!({
        "name": item_name(n),
        "description": ITEM_DESCRIPTION,
        "category": ITEM_CATEGORY,
    })
}

/// The `n`th merge patch: a new description of the same size, every other field kept.
pub(crate) fn item_patch(n: u64) -> Value {
    json!({ "description": format!("{ITEM_DESCRIPTION} Change {n}.") })
}

/// Builds payload 2.0 events for one verified caller.
pub(crate) struct EventFactory {
    token: String,
    claims: VerifiedClaims,
}

impl EventFactory {
    /// Mints a token for [`CALLER`] with `issuer` and has the stage's authorizer verify it, so
    /// the claims are those a deployed API Gateway would pass.
    pub(crate) fn new(issuer: &LocalIssuer) -> Result<Self, BoxError> {
        let token = issuer.mint(CALLER, &[], DEFAULT_TOKEN_LIFETIME)?;
        let authorizer = JwtAuthorizer::new(
            LOCAL_ISSUER,
            vec![LOCAL_AUDIENCE.to_owned()],
            &issuer.jwks()?,
        )?;
        let claims = authorizer
            .authorize(Some(&format!("Bearer {token}")))
            .map_err(|denial| format!("the local authorizer refused its own token: {denial}"))?;
        Ok(Self { token, claims })
    }

    /// The event for `call`.
    pub(crate) fn event(&self, call: &ApiCall) -> Result<Value, BoxError> {
        let (method, path) = call.request_line()?;
        let body = call.body();
        let mut headers = vec![
            ("host".to_owned(), "api.bench.local".to_owned()),
            ("user-agent".to_owned(), "items-bench/0.1".to_owned()),
            ("accept".to_owned(), JSON.to_owned()),
            ("authorization".to_owned(), format!("Bearer {}", self.token)),
        ];
        if let Some(encoding) = call.accept_encoding() {
            headers.push(("accept-encoding".to_owned(), encoding.to_owned()));
        }
        let body = match body {
            Some((body, media_type)) => {
                let body = body.to_string().into_bytes();
                headers.push(("content-type".to_owned(), media_type.to_owned()));
                headers.push(("content-length".to_owned(), body.len().to_string()));
                body
            }
            None => Vec::new(),
        };
        let request = IncomingRequest {
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            method: method.as_str().to_owned(),
            raw_path: path,
            raw_query: call.query(),
            headers,
            body,
            source_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            port: 443,
            received_at: chrono::Utc::now(),
            protocol: "HTTP/1.1".to_owned(),
        };
        let route_key = call.route_key();
        let resource = route_key
            .split_once(' ')
            .map_or(route_key, |(_, path)| path);
        // The path's parameters, by the names the route key gives them (`{id}`).
        let path_parameters: BTreeMap<String, String> = call
            .id()
            .map(|id| {
                resource
                    .split('/')
                    .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                    .map(|name| (name.to_owned(), id.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let route = MatchedRoute {
            route_key,
            resource,
            path_parameters: &path_parameters,
        };
        Ok(build_event(
            PayloadVersion::V2,
            &request,
            &route,
            &self.claims,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_route_the_verified_caller_and_the_path_id() {
        let factory = EventFactory::new(&LocalIssuer::generate().expect("key")).expect("factory");
        let event = factory
            .event(&ApiCall::Update("abc".to_owned(), 3))
            .expect("event");
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "PUT /items/{id}");
        assert_eq!(event["rawPath"], "/items/abc");
        assert_eq!(event["pathParameters"]["id"], "abc");
        assert_eq!(
            event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"],
            CALLER
        );
        let body: Value =
            serde_json::from_str(event["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["name"], "Bench item 3");
    }

    #[test]
    fn a_listing_asks_for_its_page_size_and_says_whether_it_takes_gzip() {
        let factory = EventFactory::new(&LocalIssuer::generate().expect("key")).expect("factory");
        let event = factory
            .event(&ApiCall::List(Listing::DEFAULT))
            .expect("event");
        assert_eq!(event["rawQueryString"], "limit=20");
        assert_eq!(event["queryStringParameters"]["limit"], "20");
        assert_eq!(event["headers"]["accept-encoding"], "gzip, deflate, br");
        assert!(event.get("pathParameters").is_none());
        let plain = factory
            .event(&ApiCall::List(Listing {
                limit: 100,
                gzip: false,
            }))
            .expect("event");
        assert_eq!(plain["rawQueryString"], "limit=100");
        assert!(plain["headers"].get("accept-encoding").is_none());
    }

    #[test]
    fn a_patch_is_a_merge_patch_of_the_description_alone_on_the_patch_route() {
        let factory = EventFactory::new(&LocalIssuer::generate().expect("key")).expect("factory");
        let event = factory
            .event(&ApiCall::Patch("abc".to_owned(), 7))
            .expect("event");
        assert_eq!(event["routeKey"], "PATCH /items/{id}");
        assert_eq!(event["requestContext"]["http"]["method"], "PATCH");
        assert_eq!(event["rawPath"], "/items/abc");
        assert_eq!(event["pathParameters"]["id"], "abc");
        assert_eq!(
            event["headers"]["content-type"],
            "application/merge-patch+json"
        );
        let body: Value =
            serde_json::from_str(event["body"].as_str().expect("body")).expect("json");
        let fields: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(fields, ["description"]);
        assert_ne!(body["description"], ITEM_DESCRIPTION);
    }

    #[test]
    fn a_call_succeeds_with_its_routes_declared_status_only() {
        let delete = ApiCall::Delete("abc".to_owned());
        assert!(delete.check_status(&json!({ "statusCode": 204 })).is_ok());
        let error = delete
            .check_status(&json!({ "statusCode": 200 }))
            .expect_err("200 is not a delete's success");
        assert!(error
            .to_string()
            .starts_with("DELETE /items/{id} answered 200"));
        assert!(ApiCall::Create(1)
            .check_status(&json!({ "statusCode": 201 }))
            .is_ok());
        assert!(ApiCall::Patch("abc".to_owned(), 1)
            .check_status(&json!({}))
            .is_err());
    }
}
