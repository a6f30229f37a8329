//! One handler per route, each over only the store capabilities its use case needs: a function
//! crate names its own route's handler, so its binary holds that route's code and no other, and
//! a read route's handler cannot be given (or call) a store that writes.
//!
//! Which route a handler serves is declared once, in [`route`](crate::route); the handlers'
//! part of it, with the one lookup the local stage and the tests use,
//! [`handler_for`](crate::handler_for), is derived in `routing`.

pub mod create_item;
pub mod delete_item;
pub mod get_item;
pub mod list_items;
pub mod patch_item;
pub mod update_item;

use std::future::Future;

use items_domain::{Caller, Port, UsesPorts};

use crate::cursor_key::CursorKey;
use crate::problem::Problem;
use crate::request::ApiRequest;
use crate::response::ApiResponse;
use crate::route::Routed;

/// What a route's handler is given for one request, once the shared work is done.
#[derive(Debug)]
pub struct RequestContext<'a> {
    /// The request, whatever payload format it came in.
    pub request: &'a ApiRequest,
    /// The verified caller.
    pub caller: &'a Caller,
    /// The key listing cursors are sealed with.
    pub cursor_key: &'a CursorKey,
}

/// One route's work: read its input, call its use case, build its response. Every failure is a
/// [`Problem`]; event parsing, the caller, logging and the payload format are the
/// [`Function`]'s job.
pub trait RouteHandler: Routed + Send + Sync + 'static {
    /// The use case the handler calls; the handler's store is that use case's.
    type UseCase: UsesPorts;

    /// The store capabilities its use case holds: what its function must be allowed to do.
    const PORTS: &'static [Port] = <Self::UseCase as UsesPorts>::PORTS;

    /// Handles one request.
    fn handle(
        &self,
        context: &RequestContext<'_>,
    ) -> impl Future<Output = Result<ApiResponse, Problem>> + Send;
}
