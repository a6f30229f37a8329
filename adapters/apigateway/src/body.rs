//! Request bodies: bytes to the domain's fields, reporting every bad field at once.

use items_domain::{FieldError, ItemFields, ItemInput};
use serde_json::Value;

const KNOWN_FIELDS: [&str; 3] = ["name", "description", "category"];

/// Reads a create or replace body. Unknown fields, wrong JSON types and broken field rules are
/// all reported together, one entry per field.
pub fn parse_item_fields(body: &[u8]) -> Result<ItemFields, Vec<FieldError>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| vec![FieldError::new("body", format!("is not valid JSON: {e}"))])?;
    let Value::Object(object) = value else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !KNOWN_FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(key.clone(), "is not a known field"));
        }
    }
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
        Err(rule_errors) => {
            // A field already reported with the wrong type is not reported again as missing.
            for error in rule_errors {
                if !errors.iter().any(|e| e.field == error.field) {
                    errors.push(error);
                }
            }
            Err(errors)
        }
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

    #[test]
    fn malformed_json_and_non_objects_name_the_body() {
        for body in ["{", "[]", "\"text\"", "", "\u{0}"] {
            let errors = fields_of(body);
            assert_eq!(errors.len(), 1, "{body:?}");
            assert_eq!(errors[0].0, "body");
        }
    }
}
