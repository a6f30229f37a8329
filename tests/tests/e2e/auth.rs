//! The JWT authorizer: every route answers 401 `{"message": "Unauthorized"}` before any
//! function runs, without a token or with one the stage does not accept.

use std::time::{SystemTime, UNIX_EPOCH};

use local_stage::{LocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER};
use reqwest::Method;
use serde_json::json;

use crate::support::{item_body, target, unknown_id, Api};

/// One request per route, with whatever `Authorization` the caller sends.
async fn every_route_is_unauthorized(api: &Api, why: &str) {
    let id = unknown_id();
    let body = item_body("Unauthorized", None);
    let replies = [
        ("GET /items", api.list(&[]).await),
        ("GET /items/{id}", api.get(&id).await),
        ("POST /items", api.create(&body).await),
        ("PUT /items/{id}", api.replace(&id, &body, None).await),
        (
            "PATCH /items/{id}",
            api.patch(&id, &json!({"name": "x"}), None).await,
        ),
        ("DELETE /items/{id}", api.delete(&id, None).await),
    ];
    for (route, reply) in replies {
        assert_eq!(reply.status(), 401, "{route} {why}");
        reply.assert_gateway_message(401, "Unauthorized");
    }
}

/// A token whose signature no longer matches its content.
fn with_broken_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').expect("a JWT has three parts");
    let mut signature = signature.to_owned().into_bytes();
    signature[0] = if signature[0] == b'A' { b'B' } else { b'A' };
    format!(
        "{signed}.{}",
        String::from_utf8(signature).expect("base64url is ASCII")
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

#[tokio::test]
async fn without_a_token_every_route_is_401() {
    every_route_is_unauthorized(&Api::with_token(None), "without a token").await;
    // Not a bearer token at all.
    let api = Api::with_token(None);
    let reply = api
        .send(
            "GET",
            "/items",
            api.request(Method::GET, "/items")
                .header("authorization", "Basic dXNlcjpwYXNz"),
        )
        .await;
    reply.assert_gateway_message(401, "Unauthorized");
}

#[tokio::test]
async fn a_malformed_or_tampered_token_is_401() {
    let tampered = with_broken_signature(&target().user_a);
    for token in ["not-a-jwt".to_owned(), "a.b.c".to_owned(), tampered] {
        every_route_is_unauthorized(&Api::with_token(Some(token.clone())), &token).await;
    }
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_401() {
    let stranger = LocalIssuer::generate().expect("an RSA key");
    let token = stranger
        .mint("e2e-user-a", &[], std::time::Duration::from_secs(600))
        .expect("a token");
    every_route_is_unauthorized(&Api::with_token(Some(token)), "signed by another key").await;
}

/// Tokens signed with the stage's own key but expired or for another issuer or audience can be
/// made only for a stage this process started; a deployed stage's key is not at hand.
#[tokio::test]
async fn an_expired_or_foreign_token_of_the_right_key_is_401() {
    let Some(issuer) = target().local_issuer() else {
        eprintln!("skipped here: the stage's signing key is only at hand for a local stage");
        return;
    };
    let now = now();
    let claims = |iss: &str, aud: &str, exp: u64| json!({"sub": "e2e-user-a", "iss": iss, "aud": aud, "token_use": "id", "iat": now - 7200, "exp": exp});
    let cases = [
        ("expired", claims(LOCAL_ISSUER, LOCAL_AUDIENCE, now - 600)),
        (
            "another issuer",
            claims("https://issuer.invalid", LOCAL_AUDIENCE, now + 600),
        ),
        (
            "another audience",
            claims(LOCAL_ISSUER, "another-client", now + 600),
        ),
    ];
    for (why, claims) in cases {
        let token = issuer.sign(&claims).expect("a token");
        every_route_is_unauthorized(&Api::with_token(Some(token)), why).await;
    }
    // The same claims, valid: accepted, so the cases above fail for the reason they name.
    let valid = issuer
        .sign(&claims(LOCAL_ISSUER, LOCAL_AUDIENCE, now + 600))
        .expect("a token");
    Api::with_token(Some(valid))
        .list(&[])
        .await
        .assert_status(200);
}
