//! Request bodies: bytes to the domain's fields or changes, reporting every bad field at once.

use items_domain::{FieldError, ItemChanges, ItemFields, ItemInput, ItemPatchInput, PatchValue};
use serde_json::{Map, Value};

/// The media type of a JSON Merge Patch body (RFC 7396), which `PATCH /items/{id}` reads.
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// The fields a body may hold: every field of the domain's inputs, by its contract name.
const KNOWN_FIELDS: [&str; 3] = ["name", "description", "category"];

// Never called: it destructures both inputs whole, so a field added to either fails to compile
// here until it is named in `KNOWN_FIELDS` above and read below.
const _: fn(ItemInput, ItemPatchInput) = |input, patch| {
    let ItemInput {
        name: _,
        description: _,
        category: _,
    } = input;
    let ItemPatchInput {
        name: _,
        description: _,
        category: _,
    } = patch;
};

/// A body's JSON object, with every unknown field reported in `errors`.
fn known_object(
    body: &[u8],
    errors: &mut Vec<FieldError>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![FieldError::new("body", format!("is not valid JSON: {e}"))])?;
    let Value::Object(object) = value else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    for key in object.keys() {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(key.clone(), "is not a known field"));
        }
    }
    Ok(object)
}

/// `errors` with each of `rule_errors` added, unless its field is already reported (a field
/// with the wrong JSON type is not reported again as missing).
fn merged(mut errors: Vec<FieldError>, rule_errors: Vec<FieldError>) -> Vec<FieldError> {
    for error in rule_errors {
        if !errors.iter().any(|e| e.field == error.field) {
            errors.push(error);
        }
    }
    errors
}

/// Reads a partial-update body, a JSON Merge Patch (RFC 7396): each known field absent (kept),
/// `null` (removed) or a string (set). Unknown fields, wrong JSON types and broken rules are
/// all reported together, one entry per field.
pub fn parse_item_patch(body: &[u8]) -> Result<ItemChanges, Vec<FieldError>> {
    let mut errors = Vec::new();
    let object = known_object(body, &mut errors)?;
    let mut patch_value = |name: &str| match object.get(name) {
        None => PatchValue::Absent,
        Some(Value::Null) => PatchValue::Null,
        Some(Value::String(text)) => PatchValue::Text(text.clone()),
        Some(_) => {
            errors.push(FieldError::new(name, "must be a string or null"));
            PatchValue::Absent
        }
    };
    let input = ItemPatchInput {
        name: patch_value("name"),
        description: patch_value("description"),
        category: patch_value("category"),
    };
    match ItemChanges::parse_patch(&input) {
        Ok(changes) if errors.is_empty() => Ok(changes),
        // A patch whose only fields had the wrong type is not also reported as empty.
        Ok(_) => Err(errors),
        Err(rule_errors) if !errors.is_empty() => Err(merged(
            errors,
            rule_errors
                .into_iter()
                .filter(|e| e.message != ItemChanges::EMPTY_PATCH_RULE)
                .collect(),
        )),
        Err(rule_errors) => Err(rule_errors),
    }
}

/// Reads a create or replace body. Unknown fields, wrong JSON types and broken field rules are
/// all reported together, one entry per field.
pub fn parse_item_fields(body: &[u8]) -> Result<ItemFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let object = known_object(body, &mut errors)?;
    let mut text_field = |name: &str, nullable: bool| match object.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            let expected = if nullable {
                "must be a string or null"
            } else {
                "must be a string"
            };
            errors.push(FieldError::new(name, expected));
            None
        }
    };
    let input = ItemInput {
        name: text_field("name", false),
        description: text_field("description", false),
        // `null` is the same as absent for the category.
        category: text_field("category", true),
    };
    match ItemFields::parse(&input) {
        Ok(fields) if errors.is_empty() => Ok(fields),
        Ok(_) => Err(errors),
        Err(rule_errors) => Err(merged(errors, rule_errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(body: &str) -> Vec<(String, String)> {
        parse_item_fields(body.as_bytes())
            .expect_err("invalid body")
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn a_valid_body_with_null_category_parses() {
        let fields = parse_item_fields(br#"{"name":" Lamp ","description":"","category":null}"#)
            .expect("valid");
        assert_eq!(fields.name.as_str(), "Lamp");
        assert_eq!(fields.category, None);
    }

    #[test]
    fn wrong_types_unknown_fields_and_rules_are_reported_together() {
        let errors = fields_of(r#"{"name":42,"description":"ok","category":"Bad","colour":"red"}"#);
        assert_eq!(
            errors,
            [
                ("colour".to_owned(), "is not a known field".to_owned()),
                ("name".to_owned(), "must be a string".to_owned()),
                (
                    "category".to_owned(),
                    items_domain::Category::RULE.to_owned()
                ),
            ]
        );
    }

    #[test]
    fn missing_fields_are_required() {
        let errors = fields_of("{}");
        assert_eq!(errors.len(), 2);
        assert!(errors.iter().all(|(_, message)| message == "is required"));
    }

    fn patch_errors(body: &str) -> Vec<(String, String)> {
        parse_item_patch(body.as_bytes())
            .expect_err("invalid patch")
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn a_patch_sets_present_fields_removes_a_null_category_and_keeps_the_rest() {
        let changes = parse_item_patch(br#"{"name":" Lamp ","category":null}"#).expect("valid");
        assert_eq!(changes.name().map(|n| n.as_str()), Some("Lamp"));
        assert_eq!(changes.description(), None);
        assert_eq!(changes.category(), &items_domain::OptionalChange::Remove);
    }

    #[test]
    fn a_patch_reports_every_bad_field_null_required_fields_and_an_empty_object() {
        assert_eq!(
            patch_errors(r#"{"name":null,"description":7,"colour":"red"}"#),
            [
                ("colour".to_owned(), "is not a known field".to_owned()),
                (
                    "description".to_owned(),
                    "must be a string or null".to_owned()
                ),
                (
                    "name".to_owned(),
                    "is required and cannot be removed".to_owned()
                ),
            ]
        );
        assert_eq!(
            patch_errors("{}"),
            [("body".to_owned(), ItemChanges::EMPTY_PATCH_RULE.to_owned())]
        );
        assert_eq!(
            patch_errors(r#"{"colour":"red"}"#),
            [("colour".to_owned(), "is not a known field".to_owned())]
        );
        for body in ["[]", "{", "null"] {
            assert_eq!(patch_errors(body)[0].0, "body", "{body:?}");
        }
    }

    #[test]
    fn malformed_json_and_non_objects_name_the_body() {
        for body in ["{", "[]", "\"text\"", "", "\u{0}"] {
            let errors = fields_of(body);
            assert_eq!(errors.len(), 1, "{body:?}");
            assert_eq!(errors[0].0, "body");
        }
    }
}
