//! The functions fed by a table's stream instead of a route, declared once, as the routes are in
//! `items_apigateway::Route`: `routes.json`'s `streams` section is generated from this, and the
//! Terraform, the local stage and the bench take them from there or from here.

use items_dynamodb::table_design::Resource;

/// A function fed by a table's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamFunction {
    /// Its crate, its binary and its Lambda function's name.
    pub function: &'static str,
    /// Its memory size on Lambda, and so its CPU share.
    pub memory_size_mb: u32,
    /// The table whose stream feeds it.
    pub table: Resource,
    /// Where it publishes, by the Terraform's name for it.
    pub publishes_to: &'static str,
}

/// `publish-item-events`: every change of the items table, published as a domain event on the
/// event bus. 256 MB: at 128 MB a batch's `PutEvents` call spends the quota and waits, and
/// 256 MB costs no more per batch (see the README's Performance section for the power-tuning
/// figures).
pub const PUBLISH_ITEM_EVENTS: StreamFunction = StreamFunction {
    function: "publish-item-events",
    memory_size_mb: 256,
    table: Resource::ItemsTable,
    publishes_to: "event_bus",
};

/// Every stream function, in `routes.json`'s order.
pub const STREAM_FUNCTIONS: [StreamFunction; 1] = [PUBLISH_ITEM_EVENTS];
