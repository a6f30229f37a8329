//! The end-to-end suite's harness: where the API under test is ([`target`]), and the API's
//! contract as a machine can check it ([`openapi`]). The specifications themselves are the
//! test files under `tests/`.
//!
//! Against a deployed stage, set `E2E_BASE_URL` and three tokens (`E2E_TOKEN_USER_A`,
//! `E2E_TOKEN_USER_B`, `E2E_TOKEN_ADMIN`); without `E2E_BASE_URL` the suite starts a local
//! stage in-process, on the in-memory store, and mints its tokens from the local issuer.
//! `E2E_CORS_ORIGIN` names an origin the stage's CORS configuration allows (by default one the
//! local stage allows, as it allows any).

pub mod openapi;
pub mod target;

pub use openapi::{Observed, OpenApi, OpenApiError};
pub use target::{Target, TargetError};
