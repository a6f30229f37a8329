//! The reliability suite: store outages, write races, arbitrary input and bounded load against
//! the local stage (its tests are in `tests/`). The faults come from [`fault_proxy`], re-exported
//! here for the suite's tests.

pub use fault_proxy::{FaultProxy, LostAnswer, Outage};
