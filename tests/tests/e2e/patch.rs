//! `PATCH /items/{id}`: a JSON Merge Patch over HTTP, as a client sends it.

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{fresh_category, item_body, Api, MERGE_PATCH};

#[tokio::test]
async fn a_merge_patch_changes_what_it_names_and_keeps_the_rest() {
    let api = Api::user_a();
    let category = fresh_category();
    let item = api
        .create_item(&item_body("Patched lamp", Some(&category)))
        .await;
    let id = item["id"].as_str().expect("an id");

    let renamed = api
        .patch(id, &json!({"name": "  Renamed lamp "}), Some("\"1\""))
        .await;
    renamed.assert_status(200);
    assert_eq!(renamed.header("etag"), Some("\"2\""));
    let renamed = renamed.json();
    assert_eq!(renamed["name"], "Renamed lamp", "trimmed, as for PUT");
    assert_eq!(renamed["description"], item["description"]);
    assert_eq!(renamed["category"], category.as_str());
    assert_eq!(renamed["created_at"], item["created_at"]);
    assert_eq!(renamed["created_by"], item["created_by"]);

    // `null` removes the category, and the item leaves that category's listing.
    let uncategorised = api.patch(id, &json!({"category": null}), None).await;
    uncategorised.assert_status(200);
    let uncategorised = uncategorised.json();
    assert!(uncategorised.get("category").is_none(), "{uncategorised}");
    assert_eq!(uncategorised["version"], 3);
    assert!(api.list_all(Some(&category), 10).await.is_empty());
    assert_eq!(api.get(id).await.json(), uncategorised);
}

#[tokio::test]
async fn bad_patches_are_refused_naming_every_field_and_change_nothing() {
    let api = Api::user_a();
    let item = api.create_item(&item_body("Strict lamp", None)).await;
    let id = item["id"].as_str().expect("an id");

    api.patch(id, &json!({}), None)
        .await
        .assert_invalid_fields(&["body"]);
    api.patch(id, &json!({"name": null, "description": null}), None)
        .await
        .assert_invalid_fields(&["name", "description"]);
    api.patch(
        id,
        &json!({"name": "", "colour": "red", "category": "No"}),
        None,
    )
    .await
    .assert_invalid_fields(&["name", "colour", "category"]);
    api.patch_as(id, MERGE_PATCH, "{not json", None)
        .await
        .assert_invalid_fields(&["body"]);
    let problem = api
        .patch_as(id, "text/plain", r#"{"name": "x"}"#, None)
        .await
        .assert_problem(415);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("application/merge-patch+json")),
        "{problem}"
    );
    // `application/json` is accepted too.
    api.patch_as(
        id,
        "application/json; charset=utf-8",
        r#"{"name": "Ok"}"#,
        None,
    )
    .await
    .assert_status(200);
    assert_eq!(
        api.get(id).await.json()["version"],
        2,
        "only the good patch"
    );
}

#[tokio::test]
async fn ownership_and_if_match_are_checked_as_for_put() {
    let api = Api::user_a();
    let item = api.create_item(&item_body("Owned lamp", None)).await;
    let id = item["id"].as_str().expect("an id");
    let other = Api::user_b();
    other
        .patch(id, &json!({"name": "Mine now"}), Some("\"9\""))
        .await
        .assert_problem(403);
    api.patch(id, &json!({"name": "Late"}), Some("\"9\""))
        .await
        .assert_problem(412);
    api.patch(
        &crate::support::unknown_id(),
        &json!({"name": "Nobody"}),
        None,
    )
    .await
    .assert_problem(404);
    assert_eq!(api.get(id).await.json(), item, "nothing changed");
    Api::admin()
        .patch(id, &json!({"description": "moderated"}), Some("\"1\""))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn concurrent_patches_of_different_fields_both_apply() {
    // Each patch is one conditional write applied to the item as stored at that moment: no
    // read-then-write, so neither overwrites the other's field unseen.
    const WRITERS: usize = 6;
    let api = Api::user_a();
    let item = api.create_item(&item_body("Shared lamp", None)).await;
    let id = item["id"].as_str().expect("an id").to_owned();
    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let api = api.clone();
        let id = id.clone();
        writers.spawn(async move {
            let patch = if writer % 2 == 0 {
                json!({"name": format!("name {writer}")})
            } else {
                json!({"description": format!("description {writer}")})
            };
            api.patch(&id, &patch, None).await.status()
        });
    }
    while let Some(status) = writers.join_next().await {
        assert_eq!(status.expect("a writer task"), 200);
    }
    let stored = api.get(&id).await.json();
    assert_eq!(
        stored["version"],
        1 + WRITERS as u64,
        "every patch applied once"
    );
    assert!(stored["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("name ")));
    assert!(stored["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("description ")));
}
