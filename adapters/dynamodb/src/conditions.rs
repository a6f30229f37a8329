//! The domain's write precondition as DynamoDB expressions, and what a failed condition means.
//!
//! An update is one `UpdateItem` and a delete one `DeleteItem`, each conditional on the
//! precondition (the item exists, its creator, its version) and returning the item as it was
//! when the condition failed (`ALL_OLD`), so the domain's own check on that item says which part
//! failed, in the contract's order, without a second read.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use items_domain::{Item, RepositoryError, WritePrecondition};

use crate::records::{
    item_from_attributes, AttributeChanges, Attributes, CREATED_BY_ATTRIBUTE, VERSION_ATTRIBUTE,
    WRITE_ID_ATTRIBUTE,
};
use crate::table_design::ITEM_KEY;

/// A condition (and for an update, the update) with its name and value placeholders.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expression {
    pub(crate) condition: String,
    pub(crate) update: Option<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: Attributes,
}

impl Expression {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = placeholder('#', attribute);
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, placeholder_name: &str, value: AttributeValue) -> String {
        let placeholder = placeholder(':', placeholder_name);
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// Adds ` AND #attribute = :placeholder` to the condition.
    fn and_equals(&mut self, attribute: &str, placeholder_name: &str, value: AttributeValue) {
        let name = self.name(attribute);
        let value = self.value(placeholder_name, value);
        for part in [" AND ", &name, " = ", &value] {
            self.condition.push_str(part);
        }
    }
}

/// `#name` or `:name`. The expressions are written with `push_str` rather than `format!`: an
/// update writes a dozen of these parts per request, at 7 % of a CPU.
fn placeholder(prefix: char, name: &str) -> String {
    let mut placeholder = String::with_capacity(name.len() + 1);
    placeholder.push(prefix);
    placeholder.push_str(name);
    placeholder
}

/// The condition of a delete: the precondition, nothing more.
pub(crate) fn delete_expression(precondition: &WritePrecondition) -> Expression {
    let mut expression = Expression {
        condition: String::with_capacity(128),
        update: None,
        names: HashMap::new(),
        values: Attributes::new(),
    };
    let id = expression.name(ITEM_KEY);
    for part in ["attribute_exists(", &id, ")"] {
        expression.condition.push_str(part);
    }
    if let Some(creator) = precondition.creator() {
        let creator = AttributeValue::S(creator.as_str().to_owned());
        expression.and_equals(CREATED_BY_ATTRIBUTE, "creator", creator);
    }
    if let Some(version) = precondition.version() {
        let version_value = AttributeValue::N(version.get().to_string());
        expression.and_equals(VERSION_ATTRIBUTE, "expected", version_value);
    }
    expression
}

/// The condition and update of an update: the precondition, and that this request's write is
/// not already applied (`write_id`); then the changed attributes set, the removed ones removed,
/// the version one up and `write_id` recorded.
pub(crate) fn update_expression(
    precondition: &WritePrecondition,
    changes: AttributeChanges,
    write_id: &str,
) -> Expression {
    let mut expression = delete_expression(precondition);
    let write_id_name = expression.name(WRITE_ID_ATTRIBUTE);
    let write_id_value = expression.value("write_id", AttributeValue::S(write_id.to_owned()));
    for part in [
        " AND (attribute_not_exists(",
        &write_id_name,
        ") OR ",
        &write_id_name,
        " <> ",
        &write_id_value,
        ")",
    ] {
        expression.condition.push_str(part);
    }
    let AttributeChanges { set, remove } = changes;
    // `set` comes in the order of its names, so the same update is always the same text.
    let mut update = String::with_capacity(192);
    update.push_str("SET ");
    for (attribute, value) in set {
        let name = expression.name(attribute);
        let value = expression.value(attribute, value);
        for part in [&name, " = ", &value, ", "] {
            update.push_str(part);
        }
    }
    let version = expression.name(VERSION_ATTRIBUTE);
    let one = expression.value("one", AttributeValue::N("1".to_owned()));
    for part in [
        &version,
        " = ",
        &version,
        " + ",
        &one,
        ", ",
        &write_id_name,
        " = ",
        &write_id_value,
    ] {
        update.push_str(part);
    }
    for (index, attribute) in remove.iter().enumerate() {
        update.push_str(if index == 0 { " REMOVE " } else { ", " });
        update.push_str(&expression.name(attribute));
    }
    expression.update = Some(update);
    expression
}

/// The item as it was when a write's condition failed (`ALL_OLD`): `None` or empty when there
/// was none.
fn stored_item(all_old: Option<Attributes>) -> Result<Option<(Item, Attributes)>, RepositoryError> {
    match all_old {
        Some(attributes) if !attributes.is_empty() => {
            let item = item_from_attributes(attributes.clone())?;
            Ok(Some((item, attributes)))
        }
        _ => Ok(None),
    }
}

/// What a failed update condition means. When the stored item carries this request's
/// `write_id`, an earlier attempt of this very request landed and its answer was lost: the
/// stored item is the one it wrote, and the update succeeded. Otherwise the precondition's own
/// check on the stored item names the failure.
pub(crate) fn failed_update(
    all_old: Option<Attributes>,
    precondition: &WritePrecondition,
    write_id: &str,
) -> Result<Item, RepositoryError> {
    let Some((item, attributes)) = stored_item(all_old)? else {
        return Err(RepositoryError::NotFound);
    };
    if attributes.get(WRITE_ID_ATTRIBUTE) == Some(&AttributeValue::S(write_id.to_owned())) {
        tracing::info!(id = %item.id(), "an update sent again found its own earlier write");
        return Ok(item);
    }
    precondition.check(Some(&item))?;
    Err(unexplained_failure(&item))
}

/// What a failed delete condition means. Without an item: when an earlier attempt of this
/// request may have been applied unseen (no answer came, or a 5xx), it may have deleted the
/// item; the item is gone either way, so the delete succeeded. Otherwise (no earlier attempt,
/// or only answered ones, such as throttled) the item never was there (`NotFound`). With an
/// item, the precondition's own check names the failure.
pub(crate) fn failed_delete(
    all_old: Option<Attributes>,
    precondition: &WritePrecondition,
    applied_unseen: bool,
) -> Result<(), RepositoryError> {
    let Some((item, _)) = stored_item(all_old)? else {
        if applied_unseen {
            tracing::info!("a delete sent again found the item gone");
            return Ok(());
        }
        return Err(RepositoryError::NotFound);
    };
    precondition.check(Some(&item))?;
    Err(unexplained_failure(&item))
}

/// A condition that failed although the stored item meets the precondition: the expression and
/// the domain's rule disagree, which is a bug, not the caller's fault.
fn unexplained_failure(item: &Item) -> RepositoryError {
    tracing::error!(id = %item.id(), "a write condition failed although the stored item meets the precondition");
    RepositoryError::Internal
}

#[cfg(test)]
mod tests {
    use items_domain::{Caller, Subject, Version};

    use super::*;
    use crate::records::{item_to_attributes, CATEGORY_ATTRIBUTE};

    fn alice() -> Caller {
        Caller::user(Subject::parse("alice").expect("subject"))
    }

    fn changes(category: Option<&str>) -> AttributeChanges {
        let mut set = Vec::new();
        let mut remove = Vec::new();
        match category {
            Some(category) => set.push((CATEGORY_ATTRIBUTE, AttributeValue::S(category.into()))),
            None => remove.push(CATEGORY_ATTRIBUTE),
        }
        set.extend([
            ("description", AttributeValue::S("brass".into())),
            ("name", AttributeValue::S("lamp".into())),
            (
                "updated_at",
                AttributeValue::S("2026-01-01T00:00:00.000Z".into()),
            ),
        ]);
        AttributeChanges { set, remove }
    }

    /// Every placeholder the text uses is defined, and every one defined is used: DynamoDB
    /// rejects both mistakes (moto does not).
    fn assert_placeholders_match(expression: &Expression) {
        let text = format!(
            "{} {}",
            expression.condition,
            expression.update.as_deref().unwrap_or("")
        );
        let used = |prefix: char| -> std::collections::BTreeSet<String> {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == prefix))
                .filter(|word| word.starts_with(prefix))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(used('#'), expression.names.keys().cloned().collect());
        assert_eq!(used(':'), expression.values.keys().cloned().collect());
    }

    #[test]
    fn a_delete_is_conditional_on_exactly_the_parts_of_the_precondition() {
        let any = delete_expression(&WritePrecondition::new(
            &Caller::admin(Subject::parse("root").expect("subject")),
            None,
        ));
        assert_eq!(any.condition, "attribute_exists(#id)");
        assert_placeholders_match(&any);

        let all = delete_expression(&WritePrecondition::new(&alice(), Some(Version::FIRST)));
        assert_eq!(
            all.condition,
            "attribute_exists(#id) AND #created_by = :creator AND #version = :expected"
        );
        assert_eq!(all.values[":creator"], AttributeValue::S("alice".into()));
        assert_eq!(all.values[":expected"], AttributeValue::N("1".into()));
        assert_placeholders_match(&all);
    }

    #[test]
    fn an_update_sets_the_fields_bumps_the_version_and_records_its_write_id() {
        let precondition = WritePrecondition::new(&alice(), None);
        let update = update_expression(&precondition, changes(Some("tools")), "w-1");
        assert_eq!(
            update.condition,
            "attribute_exists(#id) AND #created_by = :creator \
             AND (attribute_not_exists(#last_write_id) OR #last_write_id <> :write_id)"
        );
        assert_eq!(
            update.update.as_deref(),
            Some(
                "SET #category = :category, #description = :description, #name = :name, \
                 #updated_at = :updated_at, #version = #version + :one, \
                 #last_write_id = :write_id"
            )
        );
        assert_placeholders_match(&update);

        let uncategorised = update_expression(&precondition, changes(None), "w-1");
        assert!(uncategorised
            .update
            .as_deref()
            .is_some_and(|u| u.ends_with(" REMOVE #category")));
        assert_placeholders_match(&uncategorised);
    }

    #[test]
    fn a_partial_update_sets_only_what_it_changes_and_removes_nothing_else() {
        let precondition = WritePrecondition::new(&alice(), Some(Version::FIRST));
        let only_name = AttributeChanges {
            set: vec![
                ("name", AttributeValue::S("lamp".into())),
                (
                    "updated_at",
                    AttributeValue::S("2026-01-01T00:00:00.000Z".into()),
                ),
            ],
            remove: Vec::new(),
        };
        let update = update_expression(&precondition, only_name, "w-2");
        assert_eq!(
            update.update.as_deref(),
            Some(
                "SET #name = :name, #updated_at = :updated_at, #version = #version + :one, \
                 #last_write_id = :write_id"
            )
        );
        assert_placeholders_match(&update);
    }

    fn stored(creator: &str, version: u64, write_id: Option<&str>) -> Attributes {
        let mut item = item_by(creator);
        while item.version().get() < version {
            item = item.updated(item.fields(), item.updated_at());
        }
        let mut attributes = item_to_attributes(&item).expect("attributes");
        if let Some(write_id) = write_id {
            attributes.insert(
                WRITE_ID_ATTRIBUTE.to_owned(),
                AttributeValue::S(write_id.into()),
            );
        }
        attributes
    }

    fn item_by(creator: &str) -> Item {
        Item::create(
            items_domain::ItemId::parse("6f1c2a9e-3b7d-4c1e-9a2f-5d8e7b6c4a31").expect("id"),
            items_domain::ItemFields {
                name: items_domain::ItemName::parse("lamp").expect("name"),
                description: items_domain::Description::parse("brass").expect("description"),
                category: None,
            },
            Subject::parse(creator).expect("subject"),
            items_domain::Timestamp::from_millis(1_767_225_600_000).expect("timestamp"),
        )
    }

    #[test]
    fn a_failed_update_is_told_apart_from_the_item_as_it_was() {
        let if_match_1 = WritePrecondition::new(&alice(), Some(Version::FIRST));
        assert_eq!(
            failed_update(None, &if_match_1, "mine"),
            Err(RepositoryError::NotFound)
        );
        assert_eq!(
            failed_update(Some(Attributes::new()), &if_match_1, "mine"),
            Err(RepositoryError::NotFound)
        );
        assert_eq!(
            failed_update(Some(stored("bob", 2, None)), &if_match_1, "mine"),
            Err(RepositoryError::NotCreator)
        );
        assert_eq!(
            failed_update(
                Some(stored("alice", 2, Some("theirs"))),
                &if_match_1,
                "mine"
            ),
            Err(RepositoryError::VersionMismatch)
        );
        // This request's own write, applied by an attempt whose answer was lost.
        let own = failed_update(Some(stored("alice", 2, Some("mine"))), &if_match_1, "mine");
        assert_eq!(own.map(|item| item.version().get()), Ok(2));
        // A condition that fails although the item meets it is a bug, reported as such.
        assert_eq!(
            failed_update(Some(stored("alice", 1, None)), &if_match_1, "mine"),
            Err(RepositoryError::Internal)
        );
    }

    #[test]
    fn a_failed_delete_without_an_item_succeeded_only_when_sent_before() {
        let any = WritePrecondition::new(&alice(), None);
        assert_eq!(
            failed_delete(None, &any, false),
            Err(RepositoryError::NotFound)
        );
        assert_eq!(failed_delete(None, &any, true), Ok(()));
        assert_eq!(
            failed_delete(Some(stored("bob", 1, None)), &any, true),
            Err(RepositoryError::NotCreator)
        );
    }
}
