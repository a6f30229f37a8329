//! A use case's declared ports (`UsesPorts`, from which its function's permissions are derived)
//! are exactly the ports its route's requests call. Each route's handler serves its requests
//! (the plain and the conditional or idempotent variants) over a store that records the port
//! of every call; a port declared but never called, or called but not declared, fails here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers too: a failed assumption is a failed test"
)]

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use items_apigateway::{handler_for, AdapterConfig, Route};
use items_domain::{
    IdempotencyRecord, IdempotentInsert, Item, ItemChanges, ItemCreator, ItemDeleter, ItemId,
    ItemLister, ItemReader, ItemUpdater, Page, PageRequest, Port, RepositoryError, Timestamp,
    WritePrecondition,
};
use items_memory::InMemoryItemRepository;
use serde_json::json;
use support::{app_over, create, item_body, read_response, Payload, Request};

/// The in-memory store, remembering which ports were called.
struct RecordingStore {
    inner: Arc<InMemoryItemRepository>,
    called: Mutex<BTreeSet<Port>>,
}

impl RecordingStore {
    fn over(inner: Arc<InMemoryItemRepository>) -> Self {
        Self {
            inner,
            called: Mutex::new(BTreeSet::new()),
        }
    }

    fn record(&self, port: Port) {
        self.called.lock().unwrap().insert(port);
    }

    fn called(&self) -> BTreeSet<Port> {
        self.called.lock().unwrap().clone()
    }
}

#[async_trait]
impl ItemReader for RecordingStore {
    async fn get(&self, id: &ItemId) -> Result<Option<Item>, RepositoryError> {
        self.record(Port::Reader);
        self.inner.get(id).await
    }
}

#[async_trait]
impl ItemLister for RecordingStore {
    async fn list_page(&self, request: &PageRequest) -> Result<Page<Item>, RepositoryError> {
        self.record(Port::Lister);
        self.inner.list_page(request).await
    }
}

#[async_trait]
impl ItemCreator for RecordingStore {
    async fn insert(&self, item: &Item) -> Result<(), RepositoryError> {
        self.record(Port::Creator);
        self.inner.insert(item).await
    }

    async fn insert_idempotent(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<IdempotentInsert, RepositoryError> {
        self.record(Port::Creator);
        self.inner.insert_idempotent(record).await
    }
}

#[async_trait]
impl ItemUpdater for RecordingStore {
    async fn update(
        &self,
        id: &ItemId,
        changes: &ItemChanges,
        updated_at: Timestamp,
        precondition: &WritePrecondition,
    ) -> Result<Item, RepositoryError> {
        self.record(Port::Updater);
        self.inner
            .update(id, changes, updated_at, precondition)
            .await
    }
}

#[async_trait]
impl ItemDeleter for RecordingStore {
    async fn delete(
        &self,
        id: &ItemId,
        precondition: &WritePrecondition,
    ) -> Result<(), RepositoryError> {
        self.record(Port::Deleter);
        self.inner.delete(id, precondition).await
    }
}

/// Successful requests of `route` on the item `id` (at version 1), each of its variants once.
fn requests(route: Route, id: &str) -> Vec<Request> {
    let request = Request::new(route);
    match route {
        Route::ListItems => vec![request.clone(), request.query("category", "tools")],
        Route::GetItem => vec![request.id(id)],
        Route::CreateItem => vec![
            request.clone().json(&item_body("new", None)),
            request
                .header("idempotency-key", "key-1")
                .json(&item_body("new", None)),
        ],
        Route::UpdateItem => {
            let changes = json!({"name": "new", "description": "changed"});
            vec![
                request.clone().id(id).json(&changes),
                request.id(id).header("if-match", "\"2\"").json(&changes),
            ]
        }
        Route::PatchItem => {
            let patch = json!({"category": null});
            vec![
                request.clone().id(id).json(&patch),
                request
                    .id(id)
                    .header("content-type", "application/merge-patch+json")
                    .header("if-match", "*")
                    .json(&patch),
            ]
        }
        Route::DeleteItem => vec![request.id(id).header("if-match", "\"1\"")],
    }
}

#[tokio::test]
async fn each_use_case_declares_exactly_the_ports_its_requests_call() {
    for route in Route::ALL {
        let inner = Arc::new(InMemoryItemRepository::new());
        let seeded = create(&app_over(inner.clone()), "alice", "seeded", Some("tools")).await;
        let id = seeded["id"].as_str().expect("id");
        let store = Arc::new(RecordingStore::over(inner));
        let handler = handler_for(route, store.clone(), &AdapterConfig::default());
        for request in requests(route, id) {
            let response = read_response(&handler.handle_event(request.event(Payload::V2)).await);
            assert!(
                response.status < 300,
                "{route:?}: {} {}",
                response.status,
                response.body
            );
        }
        let declared: BTreeSet<Port> = handler.ports().iter().copied().collect();
        assert_eq!(
            store.called(),
            declared,
            "{route:?} calls other ports than it declares"
        );
    }
}
