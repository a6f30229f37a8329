//! The repository conformance suite: one suite of async tests that every [`ItemRepository`] adapter must
//! pass, so the in-memory store and DynamoDB behave the same for the use cases above them.
//!
//! An adapter's test file calls the macro once with an async expression that makes a fresh,
//! empty store; each case becomes its own `#[tokio::test]`:
//!
//! ```text
//! items_conformance::repository_conformance_tests!(async { InMemoryItemRepository::new() });
//! ```
//!
//! The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) as a dev-dependency.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed assumption fails the calling test"
)]

pub mod cases;
pub mod fixtures;

pub use items_domain::ports::MockItemRepository;
pub use items_domain::ItemRepository;

/// Expands to one `#[tokio::test]` per conformance case, each on a fresh store made by `$make`
/// (an async expression whose output implements `ItemRepository + 'static`).
#[macro_export]
macro_rules! repository_conformance_tests {
    ($make:expr) => {
        $crate::repository_conformance_tests!(@cases $make;
            insert_then_get_returns_the_stored_item,
            get_of_an_unknown_id_is_none,
            insert_of_an_existing_id_fails_and_keeps_the_first_item,
            update_at_the_stored_version_stores_and_returns_the_new_item,
            update_without_a_version_applies_to_the_stored_one,
            update_at_a_stale_version_is_a_mismatch_and_changes_nothing,
            update_by_another_caller_is_not_creator_and_changes_nothing,
            update_by_an_admin_needs_no_creator_but_the_version,
            update_of_a_missing_item_is_not_found_and_creates_nothing,
            failing_preconditions_are_reported_in_the_contracts_order,
            delete_at_the_stored_version_removes_the_item,
            delete_at_a_stale_version_is_a_mismatch_and_keeps_the_item,
            delete_by_another_caller_is_not_creator_and_keeps_the_item,
            delete_by_an_admin_removes_any_item,
            delete_of_a_missing_item_is_not_found,
            listing_an_empty_store_is_one_empty_last_page,
            listing_one_item_is_one_page_without_cursor,
            listing_exactly_a_page_of_items_needs_no_second_page,
            listing_250_items_returns_each_exactly_once,
            category_listing_holds_only_that_category_newest_first,
            category_listing_pages_newest_first_without_gaps_or_repeats,
            update_that_removes_the_category_drops_the_item_from_its_listing,
            partial_update_changes_only_its_fields_and_keeps_the_others,
            partial_update_with_null_category_removes_it_from_the_item_and_its_listing,
            partial_update_applies_to_the_item_as_stored_at_that_moment,
            idempotent_insert_stores_the_item_and_replays_it,
            idempotent_insert_with_other_fields_conflicts_and_stores_nothing,
            idempotent_record_expires_after_24_hours,
            idempotency_keys_are_scoped_to_the_caller,
            concurrent_updates_at_one_version_have_exactly_one_winner,
            concurrent_updates_without_a_version_each_apply_once,
            concurrent_deletes_have_exactly_one_winner,
            concurrent_idempotent_inserts_store_exactly_one_item,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let repository: ::std::sync::Arc<dyn $crate::ItemRepository> =
                    ::std::sync::Arc::new($make.await);
                $crate::cases::$case(repository).await;
            }
        )*

        #[test]
        fn every_conformance_case_runs() {
            $crate::assert_every_case_is_listed(&[$(stringify!($case)),*]);
        }
    };
}

/// Fails unless `listed` names exactly the cases `cases.rs` defines (each `pub async fn` taking
/// a store), so a case written but left out of [`repository_conformance_tests!`] fails every
/// store's suite instead of silently never running.
pub fn assert_every_case_is_listed(listed: &[&str]) {
    let defined: std::collections::BTreeSet<&str> = include_str!("cases.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("pub async fn "))
        .filter_map(|rest| rest.split_once('(').map(|(name, _)| name))
        .collect();
    let listed: std::collections::BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(
        defined.difference(&listed).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "conformance cases defined in cases.rs but not listed in repository_conformance_tests!"
    );
    assert_eq!(defined, listed);
}
