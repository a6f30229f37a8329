//! The in-memory store passes the repository contract.

use items_memory::InMemoryItemRepository;

items_contract::repository_contract_tests!(async { InMemoryItemRepository::new() });
