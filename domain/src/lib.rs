//! The items API's domain: what an item is, what callers may do with it, and the ports the
//! outside world plugs into.
//!
//! Every rule of the API contract lives here and nowhere else:
//! - field rules and their messages: [`values`] (one type per field) and [`limits`] (the numbers);
//! - request-body rules (every bad field reported at once): [`item::ItemFields::parse`];
//! - paging rules (limit, category, cursor): [`page::PageRequest::parse`];
//! - who may change an item, versions, idempotency: the [`use_cases`], one per route, with the
//!   precondition every update and delete carries to the store in [`precondition`];
//! - change events and their ids: [`events`];
//! - the search for control characters every text rule makes, a word at a time: [`text`].
//!
//! The crate knows nothing of AWS, HTTP or JSON. Adapters translate their world into these types.

pub mod error;
pub mod events;
pub mod idempotency;
pub mod item;
pub mod limits;
pub mod page;
pub mod ports;
pub mod precondition;
pub mod text;
pub mod use_cases;
pub mod values;

pub use error::{DomainError, FieldError, RepositoryError};
pub use events::{
    ChangeEvents, EventId, EventKind, EventPublisher, ItemChange, ItemEvent, PublishError,
};
pub use idempotency::{
    Fingerprint, IdempotencyKey, IdempotencyRecord, IdempotencyScope, IdempotentInsert,
};
pub use item::{
    InvalidRecord, Item, ItemChanges, ItemFields, ItemInput, ItemPatchInput, ItemRecord, NewItem,
    OptionalChange, PatchValue,
};
pub use page::{Cursor, ListPosition, Page, PageLimit, PageRequest};
pub use ports::{
    Clock, IdGenerator, ItemCreator, ItemDeleter, ItemLister, ItemReader, ItemRepository,
    ItemUpdater, Port, PortTrait, StorePorts, SystemClock, UsesPorts, UuidV4Ids,
};
pub use precondition::WritePrecondition;
pub use use_cases::{
    CreateItem, CreateStore, Creation, DeleteItem, DeleteStore, GetItem, GetStore, ListItems,
    ListStore, PatchItem, PatchStore, UpdateItem, UpdateStore,
};
pub use values::{
    Caller, Category, Description, ItemId, ItemIdText, ItemName, Subject, Timestamp, TimestampText,
    Version,
};
