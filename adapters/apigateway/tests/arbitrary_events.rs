//! Property test: whatever an event holds (methods, paths, headers, query strings, bodies,
//! claims, even non-events), the handler answers without panicking and without a 5xx.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use items_apigateway::Route;
use proptest::prelude::*;
use serde_json::{json, Value};
use support::{app, Payload, Request};

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        Just(String::new()),
        Just("\"1\"".to_owned()),
        Just("*".to_owned()),
        Just("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b".to_owned()),
    ]
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        arbitrary_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("description".to_owned()),
                    Just("category".to_owned()),
                    "[a-z]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arbitrary_request() -> impl Strategy<Value = (Request, Payload)> {
    (
        prop::sample::select(Route::ALL.to_vec()),
        prop::option::of(arbitrary_text()),
        prop::collection::vec(
            (
                prop::sample::select(vec!["limit", "cursor", "category", "x"]),
                arbitrary_text(),
            ),
            0..4,
        ),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "if-match",
                    "idempotency-key",
                    "content-type",
                    "x-other",
                ]),
                "[ -~]{0,70}",
            ),
            0..4,
        ),
        prop_oneof![
            arbitrary_json().prop_map(|v| Some(v.to_string())),
            prop::option::of(any::<String>()),
        ],
        any::<bool>(),
        prop::option::of("[ -~]{0,20}"),
        prop::sample::select(vec![Payload::V1, Payload::V2]),
    )
        .prop_map(|(route, id, query, headers, body, base64, sub, payload)| {
            let mut request = Request::new(route);
            request.id = id;
            for (name, value) in query {
                request = request.query(name, &value);
            }
            for (name, value) in headers {
                request = request.header(name, &value);
            }
            request.body = body;
            request.base64 = base64;
            request.sub = sub;
            (request, payload)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_request_panics_or_gets_a_5xx((request, payload) in arbitrary_request()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let output = runtime.block_on(app().handle_event(request.route, request.event(payload)));
        let status = output["statusCode"].as_u64().unwrap_or(0);
        prop_assert!((200..500).contains(&status), "status {} for {:?}", status, request);
    }

    #[test]
    fn no_event_at_all_panics_or_gets_a_5xx(event in arbitrary_json(), route in prop::sample::select(Route::ALL.to_vec())) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let output = runtime.block_on(app().handle_event(route, event));
        let status = output["statusCode"].as_u64().unwrap_or(200);
        prop_assert!(status < 500, "status {}", status);
    }
}
