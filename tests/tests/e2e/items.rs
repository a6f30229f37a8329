//! The life of an item through every route, and who may change it.

use serde_json::json;

use crate::support::{fresh_category, full_item_body, item_body, unknown_id, Api};

#[tokio::test]
async fn an_item_is_created_read_replaced_and_deleted() {
    let api = Api::user_a();
    let mut body = full_item_body("Desk lamp");
    body["name"] = json!("  Desk lamp ");

    let created = api.create(&body).await;
    created.assert_status(201);
    let item = created.json();
    let id = item["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/items/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(item["name"], "Desk lamp", "the name is trimmed");
    for (field, sent) in body.as_object().expect("a body object") {
        if field != "name" {
            assert_eq!(&item[field], sent, "{field} is shown as it was sent");
        }
    }
    assert_eq!(item["version"], 1);
    assert_eq!(item["created_at"], item["updated_at"]);
    assert!(!item["created_by"].as_str().unwrap_or_default().is_empty());

    let read = api.get(&id).await;
    read.assert_status(200);
    assert_eq!(read.json(), item);
    assert_eq!(read.header("etag"), Some("\"1\""));

    let replaced = api
        .replace(
            &id,
            &json!({"name": "Floor lamp", "description": "taller"}),
            None,
        )
        .await;
    replaced.assert_status(200);
    let updated = replaced.json();
    assert_eq!(replaced.header("etag"), Some("\"2\""));
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["name"], "Floor lamp");
    assert_eq!(updated["description"], "taller");
    assert!(
        updated.get("category").is_none(),
        "an absent category removes it: {updated}"
    );
    assert_eq!(updated["created_at"], item["created_at"]);
    assert_eq!(updated["created_by"], item["created_by"]);
    assert!(updated["updated_at"].as_str() >= item["updated_at"].as_str());
    assert_eq!(api.get(&id).await.json(), updated);

    let deleted = api.delete(&id, None).await;
    deleted.assert_status(204);
    assert!(deleted.observed.body.is_empty());
    api.get(&id).await.assert_problem(404);
    api.delete(&id, None).await.assert_problem(404);
}

#[tokio::test]
async fn a_missing_item_is_404_on_every_item_route() {
    let api = Api::user_a();
    let id = unknown_id();
    api.get(&id).await.assert_problem(404);
    api.replace(&id, &item_body("x", None), None)
        .await
        .assert_problem(404);
    api.replace(&id, &item_body("x", None), Some("\"1\""))
        .await
        .assert_problem(404);
    api.delete(&id, None).await.assert_problem(404);
    api.delete(&id, Some("*")).await.assert_problem(404);
}

#[tokio::test]
async fn a_null_category_is_absent_and_upper_case_ids_name_the_same_item() {
    let api = Api::user_a();
    let item = api.create_item(&item_body("No category", None)).await;
    assert!(item.get("category").is_none(), "{item}");
    let id = item["id"].as_str().expect("an id");
    let read = api.get(&id.to_ascii_uppercase()).await;
    read.assert_status(200);
    assert_eq!(read.json(), item);
}

#[tokio::test]
async fn another_caller_may_read_but_not_change_an_item() {
    let owner = Api::user_a();
    let other = Api::user_b();
    let item = owner
        .create_item(&item_body("Owned", Some(&fresh_category())))
        .await;
    let id = item["id"].as_str().expect("an id");

    let read = other.get(id).await;
    read.assert_status(200);
    assert_eq!(read.json(), item);

    other
        .replace(id, &item_body("Taken", None), None)
        .await
        .assert_problem(403);
    // 403 comes before any version check: a stranger learns nothing about versions.
    other
        .replace(id, &item_body("Taken", None), Some("\"7\""))
        .await
        .assert_problem(403);
    other.delete(id, None).await.assert_problem(403);
    other.delete(id, Some("\"1\"")).await.assert_problem(403);

    assert_eq!(owner.get(id).await.json(), item, "nothing changed");
}

#[tokio::test]
async fn an_admin_may_change_and_delete_anyones_item() {
    let owner = Api::user_a();
    let admin = Api::admin();
    let item = owner.create_item(&item_body("Owned", None)).await;
    let id = item["id"].as_str().expect("an id");

    let replaced = admin
        .replace(id, &item_body("Moderated", None), Some("\"1\""))
        .await;
    replaced.assert_status(200);
    let updated = replaced.json();
    assert_eq!(updated["name"], "Moderated");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["created_by"], item["created_by"],
        "the creator stays the creator"
    );

    admin.delete(id, Some("\"2\"")).await.assert_status(204);
    owner.get(id).await.assert_problem(404);
}

#[tokio::test]
async fn the_creator_is_the_caller_and_not_another() {
    let a = Api::user_a().create_item(&item_body("A's", None)).await;
    let b = Api::user_b().create_item(&item_body("B's", None)).await;
    assert_ne!(a["created_by"], b["created_by"]);
    // B may change B's own item.
    let id = b["id"].as_str().expect("an id");
    Api::user_b()
        .replace(id, &item_body("Still B's", None), None)
        .await
        .assert_status(200);
    Api::user_b().delete(id, None).await.assert_status(204);
}
