//! The in-memory store passes the repository conformance suite.

use items_memory::InMemoryItemRepository;

items_conformance::repository_conformance_tests!(async { InMemoryItemRepository::new() });
