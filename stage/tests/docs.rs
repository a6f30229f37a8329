//! The local-only API reference: the document it shows is the contract, and only Swagger UI's
//! own files are served beside it. (The page itself, in a browser, is `scripts/check-docs-page`.)

use local_stage::{LineSink, StageConfig};

#[tokio::test]
async fn the_reference_serves_the_contract_and_nothing_else() {
    let scratch = std::env::temp_dir().join(format!("docs-test-{}", std::process::id()));
    let stage = local_stage::start(StageConfig {
        access_log: LineSink::Off,
        // An npm prefix with nothing installed: these requests must not need Swagger UI.
        swagger_ui: scratch.join("swagger-ui"),
        ..StageConfig::default()
    })
    .await
    .expect("the stage starts");
    let client = reqwest::Client::new();

    let document = client
        .get(format!("{}/_local/openapi.yaml", stage.url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(document.status().as_u16(), 200);
    assert_eq!(document.headers()["content-type"], "application/yaml");
    let text = document.text().await.expect("a body");
    assert_eq!(text, include_str!("../../openapi.yaml"));

    for path in [
        "/_local/docs/index.html",
        "/_local/docs/..%2F..%2Froutes.json",
        "/_local/docs/package.json",
    ] {
        let answer = client
            .get(format!("{}{path}", stage.url()))
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 404, "{path}");
    }
    assert!(!scratch.exists(), "nothing was installed");
    stage.shutdown().await;
}
