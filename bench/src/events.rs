//! The events the functions receive, built exactly as the local stage builds them for API
//! Gateway's payload 2.0: a real token from the local issuer, checked by the stage's JWT
//! authorizer, its claims in the request context, the usual forwarded headers.

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
    /// `GET /items?limit=N`, with `Accept-Encoding: gzip` or without.
    List(Listing),
    /// `GET /items/{id}`
    Get(String),
    /// `POST /items`, the `n`th item.
    Create(u64),
    /// `PUT /items/{id}` with new fields, the `n`th change.
    Update(String, u64),
    /// `DELETE /items/{id}`
    Delete(String),
}

impl ApiCall {
    /// The route key the call goes to.
    pub(crate) fn route_key(&self) -> &'static str {
        let route = match self {
            ApiCall::List(_) => Route::ListItems,
            ApiCall::Get(_) => Route::GetItem,
            ApiCall::Create(_) => Route::CreateItem,
            ApiCall::Update(..) => Route::UpdateItem,
            ApiCall::Delete(_) => Route::DeleteItem,
        };
        route.route_key()
    }

    /// The status a successful call answers with.
    pub(crate) fn success_status(&self) -> u64 {
        match self {
            ApiCall::Create(_) => 201,
            ApiCall::Delete(_) => 204,
            _ => 200,
        }
    }
}

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
    pub(crate) fn event(&self, call: &ApiCall) -> Value {
        let (method, path, body, id) = match call {
            ApiCall::List(_) => ("GET", "/items".to_owned(), None, None),
            ApiCall::Get(id) => ("GET", format!("/items/{id}"), None, Some(id)),
            ApiCall::Create(n) => ("POST", "/items".to_owned(), Some(item_body(*n)), None),
            ApiCall::Update(id, n) => {
                ("PUT", format!("/items/{id}"), Some(item_body(*n)), Some(id))
            }
            ApiCall::Delete(id) => ("DELETE", format!("/items/{id}"), None, Some(id)),
        };
        let listing = match call {
            ApiCall::List(listing) => Some(*listing),
            _ => None,
        };
        let raw_query = listing.map_or_else(String::new, |l| format!("limit={}", l.limit));
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut headers = vec![
            ("host".to_owned(), "api.bench.local".to_owned()),
            ("user-agent".to_owned(), "items-bench/0.1".to_owned()),
            ("accept".to_owned(), "application/json".to_owned()),
            ("authorization".to_owned(), format!("Bearer {}", self.token)),
        ];
        if listing.is_some_and(|l| l.gzip) {
            headers.push(("accept-encoding".to_owned(), "gzip, deflate, br".to_owned()));
        }
        if !body.is_empty() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
            headers.push(("content-length".to_owned(), body.len().to_string()));
        }
        let request = IncomingRequest {
            request_id: uuid::Uuid::new_v4().simple().to_string(),
            method: method.to_owned(),
            raw_path: path,
            raw_query,
            headers,
            body,
            source_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            port: 443,
            received_at: chrono::Utc::now(),
            protocol: "HTTP/1.1".to_owned(),
        };
        let path_parameters: BTreeMap<String, String> = id
            .map(|id| BTreeMap::from([("id".to_owned(), id.clone())]))
            .unwrap_or_default();
        let route_key = call.route_key();
        let resource = route_key
            .split_once(' ')
            .map_or(route_key, |(_, path)| path);
        let route = MatchedRoute {
            route_key,
            resource,
            path_parameters: &path_parameters,
        };
        build_event(PayloadVersion::V2, &request, &route, &self.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_route_the_verified_caller_and_the_path_id() {
        let factory = EventFactory::new(&LocalIssuer::generate().expect("key")).expect("factory");
        let event = factory.event(&ApiCall::Update("abc".to_owned(), 3));
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
        let event = factory.event(&ApiCall::List(Listing::DEFAULT));
        assert_eq!(event["rawQueryString"], "limit=20");
        assert_eq!(event["queryStringParameters"]["limit"], "20");
        assert_eq!(event["headers"]["accept-encoding"], "gzip, deflate, br");
        assert!(event.get("pathParameters").is_none());
        let plain = factory.event(&ApiCall::List(Listing {
            limit: 100,
            gzip: false,
        }));
        assert_eq!(plain["rawQueryString"], "limit=100");
        assert!(plain["headers"].get("accept-encoding").is_none());
    }
}
