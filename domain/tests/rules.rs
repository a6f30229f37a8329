//! The field and paging rules of the contract, with the messages callers see.

use items_domain::limits::{DESCRIPTION_MAX_CHARS, NAME_MAX_CHARS};
use items_domain::{
    Category, Cursor, FieldError, IdempotencyKey, ItemFields, ItemId, ItemInput, ListPosition,
    PageRequest, Timestamp,
};

fn input(name: Option<&str>, description: Option<&str>, category: Option<&str>) -> ItemInput {
    ItemInput {
        name: name.map(str::to_owned),
        description: description.map(str::to_owned),
        category: category.map(str::to_owned),
    }
}

fn fields_of(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn valid_fields_are_accepted_and_the_name_is_trimmed() {
    let fields = ItemFields::parse(&input(
        Some("  Lamp \t"),
        Some("Bright.\nWarm\t"),
        Some("home-1"),
    ))
    .expect("valid");
    assert_eq!(fields.name.as_str(), "Lamp");
    assert_eq!(fields.description.as_str(), "Bright.\nWarm\t");
    assert_eq!(
        fields.category.map(|c| c.as_str().to_owned()),
        Some("home-1".into())
    );
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let errors = ItemFields::parse(&input(Some("   "), Some("bell\u{7}"), Some("Bad_Category")))
        .expect_err("three rules broken");
    assert_eq!(fields_of(&errors), ["name", "description", "category"]);
    assert_eq!(errors[0].message, "must not be empty");
    assert_eq!(
        errors[1].message,
        "must not contain control characters other than newline and tab"
    );
    assert_eq!(errors[2].message, Category::RULE);
}

#[test]
fn missing_required_fields_are_each_reported() {
    let errors = ItemFields::parse(&input(None, None, None)).expect_err("both missing");
    assert_eq!(fields_of(&errors), ["name", "description"]);
    assert!(errors.iter().all(|e| e.message == "is required"));
}

#[test]
fn an_absent_category_is_allowed() {
    let fields = ItemFields::parse(&input(Some("x"), Some(""), None)).expect("valid");
    assert_eq!(fields.category, None);
}

#[test]
fn name_length_counts_characters_not_bytes() {
    let at_limit = "é".repeat(NAME_MAX_CHARS);
    assert!(ItemFields::parse(&input(Some(&at_limit), Some(""), None)).is_ok());
    let over = "é".repeat(NAME_MAX_CHARS + 1);
    let errors = ItemFields::parse(&input(Some(&over), Some(""), None)).expect_err("too long");
    assert_eq!(errors[0].message, "must be at most 200 characters");
}

#[test]
fn name_rejects_control_characters_inside() {
    let errors = ItemFields::parse(&input(Some("a\nb"), Some(""), None)).expect_err("newline");
    assert_eq!(errors[0].field, "name");
    assert_eq!(errors[0].message, "must not contain control characters");
}

#[test]
fn control_characters_are_refused_in_ascii_and_in_other_text_alike() {
    // DEL, and U+0085 (a C1 control) beside non-ASCII letters: text that is all ASCII and text
    // that is not are checked by different paths.
    for name in ["a\u{7f}b", "é\u{85}é", "\u{9f}"] {
        let errors = ItemFields::parse(&input(Some(name), Some(""), None)).expect_err(name);
        assert_eq!(
            errors[0].message, "must not contain control characters",
            "{name:?}"
        );
    }
    for description in ["tab\tand\nnewline", "é\té\n"] {
        assert!(ItemFields::parse(&input(Some("x"), Some(description), None)).is_ok());
    }
    for description in ["bell\u{7}", "é\u{85}", "é\r"] {
        let errors =
            ItemFields::parse(&input(Some("x"), Some(description), None)).expect_err(description);
        assert_eq!(errors[0].field, "description", "{description:?}");
    }
}

#[test]
fn description_length_is_bounded() {
    let at_limit = "d".repeat(DESCRIPTION_MAX_CHARS);
    assert!(ItemFields::parse(&input(Some("x"), Some(&at_limit), None)).is_ok());
    let over = "d".repeat(DESCRIPTION_MAX_CHARS + 1);
    let errors = ItemFields::parse(&input(Some("x"), Some(&over), None)).expect_err("too long");
    assert_eq!(errors[0].field, "description");
    assert_eq!(errors[0].message, "must be at most 2000 characters");
    // Characters, not bytes, in text that is not ASCII too.
    let at_limit = "é".repeat(DESCRIPTION_MAX_CHARS);
    assert!(ItemFields::parse(&input(Some("x"), Some(&at_limit), None)).is_ok());
    let over = "é".repeat(DESCRIPTION_MAX_CHARS + 1);
    assert!(ItemFields::parse(&input(Some("x"), Some(&over), None)).is_err());
}

#[test]
fn category_follows_its_pattern() {
    for valid in ["a", "0", "a-b", "tools-2026", &"x".repeat(50)] {
        assert!(Category::parse(valid).is_ok(), "{valid:?} is valid");
    }
    for invalid in ["", "-a", "A", "a_b", "a b", "é", &"x".repeat(51)] {
        assert!(Category::parse(invalid).is_err(), "{invalid:?} is invalid");
    }
}

#[test]
fn item_ids_are_hyphenated_uuids() {
    let id = ItemId::parse("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b").expect("valid");
    assert_eq!(id.to_string(), "3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b");
    // One item, one URL: an id read in capitals is written in lower case.
    let shouted = ItemId::parse("3F2B8C1E-6A4D-4E8F-9B1A-2C3D4E5F6A7B").expect("valid");
    assert_eq!(
        shouted.text().as_str(),
        "3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b"
    );
    for invalid in [
        "",
        "42",
        "3f2b8c1e6a4d4e8f9b1a2c3d4e5f6a7b",
        "not-a-uuid-at-all-not-a-uuid-at-all",
    ] {
        assert_eq!(
            ItemId::parse(invalid).map_err(|e| e.field),
            Err("id".to_owned())
        );
    }
}

#[test]
fn idempotency_keys_are_1_to_64_visible_ascii_characters() {
    assert!(IdempotencyKey::parse("a").is_ok());
    assert!(IdempotencyKey::parse(&"~".repeat(64)).is_ok());
    for invalid in ["", " key", "ключ", "tab\t", &"k".repeat(65)] {
        let error = IdempotencyKey::parse(invalid).expect_err("invalid key");
        assert_eq!(error.field, "Idempotency-Key");
    }
}

#[test]
fn timestamps_render_as_utc_milliseconds() {
    let at = Timestamp::parse_rfc3339("2026-11-25T03:30:00.123456+01:00").expect("valid");
    assert_eq!(at.to_rfc3339(), "2026-11-25T02:30:00.123Z");
}

#[test]
fn page_request_defaults_to_20_items_of_all_categories() {
    let request = PageRequest::parse(None, None, None).expect("valid");
    assert_eq!(request.limit.get(), 20);
    assert_eq!(request.category, None);
    assert_eq!(request.cursor, None);
}

#[test]
fn page_limit_must_be_an_integer_from_1_to_100() {
    for valid in ["1", "100", "020"] {
        assert!(
            PageRequest::parse(Some(valid), None, None).is_ok(),
            "{valid}"
        );
    }
    for invalid in [
        "0",
        "101",
        "-1",
        "+5",
        " 5",
        "5.0",
        "ten",
        "",
        "99999999999",
    ] {
        let errors = PageRequest::parse(Some(invalid), None, None).expect_err(invalid);
        assert_eq!(errors[0].field, "limit");
        assert_eq!(errors[0].message, "must be an integer from 1 to 100");
    }
}

#[test]
fn every_bad_query_parameter_is_reported_at_once() {
    let errors = PageRequest::parse(Some("0"), Some("BAD"), Some("%%%")).expect_err("all bad");
    assert_eq!(fields_of(&errors), ["limit", "category", "cursor"]);
}

#[test]
fn cursors_round_trip_and_tampered_ones_are_rejected() {
    let id = ItemId::parse("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b").expect("valid");
    let cursor = Cursor::new(ListPosition::All { last_id: id });
    let token = cursor.encode();
    assert_eq!(Cursor::parse(&token), Ok(cursor));
    let mut tampered = token.clone();
    tampered.insert(3, 'x');
    for bad in [
        tampered.as_str(),
        "",
        "not base64!",
        &token[..token.len() - 4],
    ] {
        let error = Cursor::parse(bad).expect_err("tampered");
        assert_eq!(error.field, "cursor");
    }
}

#[test]
fn a_cursor_from_another_listing_is_rejected() {
    let id = ItemId::parse("3f2b8c1e-6a4d-4e8f-9b1a-2c3d4e5f6a7b").expect("valid");
    let category = Category::parse("tools").expect("valid");
    let at = Timestamp::from_millis(1_767_225_600_000).expect("valid");
    let all = Cursor::new(ListPosition::All { last_id: id }).encode();
    let tools = Cursor::new(ListPosition::Category {
        category,
        last_created_at: at,
        last_id: id,
    })
    .encode();
    assert!(PageRequest::parse(None, None, Some(&all)).is_ok());
    assert!(PageRequest::parse(None, Some("tools"), Some(&tools)).is_ok());
    for (category, cursor) in [
        (Some("tools"), &all),
        (None, &tools),
        (Some("garden"), &tools),
    ] {
        let errors = PageRequest::parse(None, category, Some(cursor)).expect_err("foreign");
        assert_eq!(
            errors,
            [FieldError::new("cursor", "belongs to another listing")]
        );
    }
}

#[test]
fn a_stored_record_is_restored_unless_no_sequence_of_writes_could_have_made_it() {
    let created = items_conformance::fixtures::item("restored", None);
    let record = created.record().clone();
    assert_eq!(
        items_domain::Item::restore(record.clone()),
        Ok(created.clone())
    );
    let later = items_domain::Timestamp::from_millis(created.created_at().as_millis() + 1)
        .expect("a timestamp");
    let changed_at_first_version = items_domain::ItemRecord {
        updated_at: later,
        ..record.clone()
    };
    assert_eq!(
        items_domain::Item::restore(changed_at_first_version),
        Err(items_domain::InvalidRecord::FirstVersionChanged)
    );
    let updated = created.updated(created.fields(), later);
    assert_eq!(
        items_domain::Item::restore(updated.record().clone()),
        Ok(updated)
    );
}
