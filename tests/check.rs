//! The checker and catalogs: types the spec implies, type errors as users
//! see them, and catalog files (compact, JSON Schema/XDM, broken ones).

mod common;

use jexpr::diagnostic::render;
use jexpr::Catalog;
use std::path::{Path, PathBuf};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn compact_catalog() -> Catalog {
    Catalog::load(&fixture("catalog.json")).expect("the compact fixture catalog loads")
}

fn type_of(src: &str, catalog: &Catalog) -> String {
    match jexpr::check(src, catalog) {
        Ok(typed) => typed.ty.to_string(),
        Err(d) => panic!("{src} does not check:\n{}", render("expr", src, &d)),
    }
}

#[test]
fn type_errors() {
    let catalog = compact_catalog();
    insta::glob!("inputs/type-errors/*.jexpr", |path| {
        let src = common::read_input(path);
        let diags = match jexpr::check(&src, &catalog) {
            Ok(typed) => panic!("{} should not type-check, got {}", path.display(), typed.ty),
            Err(diags) => diags,
        };
        for d in &diags {
            assert!(
                ["E02", "E03", "E04"].iter().any(|p| d.code.starts_with(p)),
                "not a type error: {d:?}"
            );
        }
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\noutput:\n{}",
            render("expr", &src, &diags)
        ));
    });
}

/// Warnings: expressions that work but probably not as meant, typed from
/// the example sample data (examples/context.json).
#[test]
fn warnings() {
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/context.json"),
        )
        .expect("context"),
    )
    .expect("JSON");
    let catalog = Catalog::infer(&doc);
    insta::glob!("inputs/warnings/*.jexpr", |path| {
        let src = common::read_input(path);
        let checked = match jexpr::check(&src, &catalog) {
            Ok(c) => c,
            Err(d) => panic!(
                "{} should check:\n{}",
                path.display(),
                render("expr", &src, &d.into_vec())
            ),
        };
        assert!(
            !checked.warnings.is_empty(),
            "{} gives no warning",
            path.display()
        );
        for w in &checked.warnings {
            assert_eq!(w.severity, jexpr::Severity::Warning);
            assert!(w.code.starts_with('W'), "{w:?}");
        }
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\noutput:\n{}",
            render("expr", &src, &checked.warnings)
        ));
    });
}

/// The mistakes journey authors make often (issue 11), each with the
/// message that says what to write instead. Syntax and type errors alike.
#[test]
fn common_mistakes() {
    let catalog = Catalog::load(&fixture("mistakes-catalog.json")).expect("catalog");
    insta::glob!("inputs/mistakes/*.jexpr", |path| {
        let src = common::read_input(path);
        let diags = match jexpr::check(&src, &catalog) {
            Ok(typed) => panic!("{} should not check, got {}", path.display(), typed.ty),
            Err(diags) => diags,
        };
        for d in &diags {
            assert!(d.help.is_some(), "every mistake gets a suggestion: {d:?}");
        }
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\noutput:\n{}",
            render("expr", &src, &diags)
        ));
    });
}

#[test]
fn types_against_the_compact_catalog() {
    let catalog = compact_catalog();
    let cases = [
        ("@{OrderEvent.total} > 100.0 and startWith(@{OrderEvent.email}, \"vip\")", "boolean"),
        ("@{OrderEvent.items}", "listObject"),
        ("@{OrderEvent.items.sku}", "listString"),
        ("@{OrderEvent.items.options.name}", "listString"),
        ("@{OrderEvent.items.all(currentEventField.price > 50.0).sku}", "listString"),
        ("@{OrderEvent.items.first(currentEventField.qty > 1)}", "object"),
        ("@{OrderEvent.items.last().price}", "decimal"),
        ("@{OrderEvent.items.at(0).qty}", "integer"),
        ("@{OrderEvent.identityMap.entry('Email').first().id}", "string"),
        ("@{OrderEvent.identityMap.firstEntryKey()}", "string"),
        ("@{OrderEvent.identityMap.keys()}", "listString"),
        ("@{OrderEvent.attributes.entry('color')}", "string"),
        ("@{OrderEvent.email, defaultValue: \"none\"}", "string"),
        ("@{OrderEvent.total, defaultValue: 0.0}", "decimal"),
        ("#{ExperiencePlatform.ProfileFieldGroup.person.age, defaultValue: -1}", "integer"),
        ("#{ExperiencePlatform.ExperienceEventFieldGroup.experienceevent.all(currentDataPackField.eventType == \"purchase\").productListItems.all(currentDataPackField.priceTotal > 10.0).name}", "listString"),
        ("#{ExperiencePlatform.ExperienceEventFieldGroup.experienceevent.first().timestamp}", "dateTime"),
        ("#{Weather.main.temperature, params: {city: @{OrderEvent.customer.firstName}}}", "decimal"),
        ("@{journey.profileId}", "string"),
        ("@{journey.lastDataFetchElapsedTime}", "integer"),
        ("@{OrderEvent.placedAt} + toDuration(\"PT1H\")", "dateTime"),
        ("@{OrderEvent.pickupTime} - toDuration(\"PT1H\")", "dateTimeOnly"),
        ("@{OrderEvent.ttl} + @{OrderEvent.ttl}", "duration"),
        ("-@{OrderEvent.ttl}", "duration"),
        ("@{OrderEvent.quantity} + 1", "integer"),
        ("@{OrderEvent.quantity} + 1.5", "decimal"),
        ("@{OrderEvent.quantity} / 2", "integer"),
        ("@{OrderEvent.quantity} % 2.0", "decimal"),
        ("\"n=\" + @{OrderEvent.quantity}", "string"),
        ("\"tags: \" + @{OrderEvent.tags}", "string"),
        ("if (@{OrderEvent.vip}) then (1) else (2.5)", "decimal"),
        ("if (@{OrderEvent.vip}) then (null) else (\"x\")", "string"),
        ("[1, null, 3]", "listInteger"),
        ("[]", "list"),
        ("null", "null"),
        ("date(\"2024-05-01\")", "dateOnly"),
        ("date(\"2024-05-01T10:00:00\")", "dateTimeOnly"),
        ("date(\"2024-05-01T10:00:00+02:00\")", "dateTime"),
        ("max(@{OrderEvent.scores})", "integer"),
        ("max(@{OrderEvent.placedAt}, now())", "dateTime"),
        ("getListItem(@{OrderEvent.tags}, 0)", "string"),
        ("sort(@{OrderEvent.items}, \"price\", true)", "listObject"),
        ("limit(@{OrderEvent.scores}, 2, false)", "listInteger"),
        ("intersect(@{OrderEvent.tags}, [\"a\", \"b\"])", "listString"),
        ("in(null, @{OrderEvent.tags})", "boolean"),
        ("split(@{OrderEvent.email}, \"@\")", "listString"),
        ("toDateTime(\"Europe/Paris\", @{OrderEvent.pickupTime})", "dateTime"),
        ("nowWithDelta(-2, \"days\", \"Europe/Paris\")", "dateTime"),
        ("inSegment(\"men over 50\") and inAudience(\"vip customers\")", "boolean"),
        ("@{OrderEvent.total} == @{OrderEvent.quantity}", "boolean"),
        ("@{OrderEvent.tags} == [\"a\"]", "boolean"),
        ("@{OrderEvent.email} == null", "boolean"),
        ("@{OrderEvent.tags} has null", "boolean"),
        ("@{OrderEvent.total} is decimal", "boolean"),
    ];
    for (src, expected) in cases {
        assert_eq!(type_of(src, &catalog), expected, "{src}");
    }
}

/// The type a documented result implies (see tests/data/spec-examples.txt).
fn implied_type(result: &str) -> Option<&'static str> {
    if result == "true" || result == "false" {
        return Some("boolean");
    }
    if result.starts_with('"') {
        return Some("string");
    }
    if result.starts_with("PT") {
        return Some("duration");
    }
    if result.parse::<i64>().is_ok() {
        return Some("integer");
    }
    if result.contains('.') && result.parse::<f64>().is_ok() {
        return Some("decimal");
    }
    if result.len() == 10 && result.as_bytes()[4] == b'-' {
        return Some("dateOnly");
    }
    if result.len() >= 19 && result.as_bytes()[10] == b'T' {
        let zoned = result.ends_with('Z') || result[19..].contains(['+', '-']);
        return Some(if zoned { "dateTime" } else { "dateTimeOnly" });
    }
    None
}

#[test]
fn every_spec_example_type_checks_as_the_spec_implies() {
    let context: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec-context.json"),
        )
        .expect("context"),
    )
    .expect("context JSON");
    let catalog = Catalog::infer(&context);
    for ex in common::spec_examples() {
        let result = jexpr::check(&ex.expr, &catalog);
        if let Some(code) = ex.expected.strip_prefix("compile error ") {
            let diags = result
                .err()
                .unwrap_or_else(|| panic!("line {}: {} should not compile", ex.line, ex.expr));
            assert_eq!(diags[0].code, code, "line {}: {}", ex.line, ex.expr);
            continue;
        }
        let typed = result.unwrap_or_else(|d| {
            panic!(
                "line {}: {}\n{}",
                ex.line,
                ex.expr,
                render("expr", &ex.expr, &d)
            )
        });
        if let Some(expected) = implied_type(&ex.expected) {
            assert_eq!(
                typed.ty.to_string(),
                expected,
                "line {}: {}",
                ex.line,
                ex.expr
            );
        } else if ex.expected.starts_with('[') {
            assert!(
                typed.ty.to_string().starts_with("list"),
                "line {}: {} is {}",
                ex.line,
                ex.expr,
                typed.ty
            );
        }
    }
}

#[test]
fn xdm_fixture_loads_with_refs_allof_maps_and_prefixes() {
    let catalog = Catalog::load(&fixture("xdm/catalog.json")).unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        ("@{Purchase.timestamp}", "dateTime"),
        ("@{Purchase._id}", "string"),
        ("@{Purchase.productListItems.SKU}", "listString"),
        (
            "@{Purchase.productListItems.all(currentEventField.quantity > 1).priceTotal}",
            "listDecimal",
        ),
        ("@{Purchase.productListItems.first().addedAt}", "dateTime"),
        ("@{Purchase.commerce.order.priceTotal}", "decimal"),
        (
            "@{Purchase.identityMap.entry('Email').first().id}",
            "string",
        ),
        ("@{Purchase.identityMap}", "map<listObject>"),
        ("@{Purchase._tenant.loyaltyTier}", "string"),
        ("#{Profiles.Profile.person.birthDate}", "dateOnly"),
        ("#{Profiles.Profile.person.name.firstName}", "string"),
        ("#{Profiles.Profile.loyalty.points}", "decimal"),
        ("#{Profiles.Profile.loyalty.tier}", "string"),
        (
            "#{Profiles.Profile.segmentMembership.entry('seg1').status}",
            "string",
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(type_of(src, &catalog), expected, "{src}");
    }
    // `xdm:` names are exposed without the prefix only.
    assert!(jexpr::check("@{Purchase.'xdm:timestamp'}", &catalog).is_err());
}

fn load_error(path: &str) -> String {
    match Catalog::load(&fixture(path)) {
        Ok(_) => panic!("{path} should not load"),
        Err(e) => e.to_string().replace(env!("CARGO_MANIFEST_DIR"), "<root>"),
    }
}

#[test]
fn broken_catalogs_name_the_file_and_json_path() {
    let cycle = load_error("bad/cycle-catalog.json");
    assert!(cycle.contains("`$ref` cycle"), "{cycle}");
    assert!(
        cycle.contains("a.schema.json#") && cycle.contains("b.schema.json#"),
        "{cycle}"
    );

    let unknown = load_error("bad/unknown-type-catalog.json");
    assert!(unknown.ends_with("bad/unknown-type-catalog.json: at /events/E/fields/a/b: unknown type name `strng` (did you mean `string`?)"), "{unknown}");

    let missing = load_error("bad/missing-schema-catalog.json");
    assert!(
        missing.contains("nope.schema.json: cannot read the file"),
        "{missing}"
    );

    let dangling = load_error("bad/dangling-ref-catalog.json");
    assert!(dangling.contains("dangling.schema.json: at /properties/x/$ref: `$ref` target `#/definitions/missing` does not exist"), "{dangling}");

    let malformed = load_error("bad/malformed-catalog.json");
    assert!(
        malformed.contains("malformed-catalog.json: not valid JSON"),
        "{malformed}"
    );

    let reserved = load_error("bad/journey-event-catalog.json");
    assert!(
        reserved.contains("at /events/journey: `journey` is reserved"),
        "{reserved}"
    );

    let absent = load_error("no-such-catalog.json");
    assert!(absent.contains("cannot read the file"), "{absent}");
}

#[test]
fn hostile_schemas_are_errors() {
    let dir = std::env::temp_dir().join(format!("jexpr-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A self-reference and a chain of 300 nested arrays.
    let deep = format!(
        "{}{{\"type\": \"string\"}}{}",
        "{\"type\": \"array\", \"items\": ".repeat(300),
        "}".repeat(300)
    );
    let files = [
        (
            "self.schema.json",
            r##"{"type": "object", "properties": {"me": {"$ref": "#"}}}"##.to_string(),
        ),
        ("deep.schema.json", deep),
        ("weird.schema.json", r#"{"type": 42}"#.to_string()),
    ];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).expect("write schema");
        let catalog = serde_json::json!({"events": {"E": {"schema": name}}});
        let result = Catalog::from_json(&catalog, &dir.join("catalog.json"));
        assert!(result.is_err(), "{name} should be rejected");
    }
    // A schema with no type information is an object with no known fields.
    std::fs::write(
        dir.join("empty.schema.json"),
        r#"{"oneOf": [{"type": "string"}]}"#,
    )
    .expect("write schema");
    let catalog = serde_json::json!({"events": {"E": {"schema": "empty.schema.json"}}});
    let catalog =
        Catalog::from_json(&catalog, &dir.join("catalog.json")).expect("untyped schema loads");
    assert_eq!(type_of("@{E}", &catalog), "object");
    assert_eq!(
        jexpr::check("@{E.x}", &catalog).err().map(|d| d[0].code),
        Some("E0205")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inferred_catalog_types_missing_fields_as_null() {
    let context = serde_json::json!({
        "events": {"E": {"n": 3, "x": 2.5, "at": "2024-05-01T10:00:00Z", "tags": ["a"], "xdm:timestamp": "2024-05-01T10:00:00Z"}}
    });
    let catalog = Catalog::infer(&context);
    assert_eq!(type_of("@{E.n}", &catalog), "integer");
    assert_eq!(type_of("@{E.x}", &catalog), "decimal");
    assert_eq!(type_of("@{E.at}", &catalog), "dateTime");
    assert_eq!(type_of("@{E.timestamp}", &catalog), "dateTime");
    assert_eq!(type_of("@{E.tags}", &catalog), "listString");
    assert_eq!(type_of("@{E.missing}", &catalog), "null");
    assert_eq!(
        type_of("@{E.missing, defaultValue: 3}", &catalog),
        "integer"
    );
    assert!(
        jexpr::check("@{F.n}", &catalog).is_err(),
        "unknown events are still errors"
    );
}

/// E0303 names the operands in the order they are written (issue 26).
#[test]
fn a_mixed_multiplication_names_its_operands_in_order() {
    let catalog = jexpr::Catalog::no_data();
    for (src, types) in [
        ("3 * 4.0", "`integer` * `decimal`"),
        ("4.0 * 3", "`decimal` * `integer`"),
    ] {
        let err = jexpr::Compiler::new(&catalog).compile(src).unwrap_err();
        assert_eq!(err.first().code, "E0303");
        assert!(
            err.first().message.ends_with(types),
            "{src}: {}",
            err.first().message
        );
    }
}

/// SERVICE.md section 2: `@action{NAME.path}` reads the last response of
/// an action, typed by the catalog's `response.fields`, with
/// `jo_status_code` always a string; evaluated from a context's `actions`.
#[test]
fn action_responses_are_typed_and_read() {
    let c = compact_catalog();
    assert_eq!(type_of("@action{loyalty.points}", &c), "integer");
    assert_eq!(type_of("@action{loyalty.tiers}", &c), "listString");
    assert_eq!(type_of("@action{email.jo_status_code}", &c), "string");
    assert_eq!(
        type_of("@action{loyalty.points, defaultValue: 0} + 1", &c),
        "integer"
    );
    let program = jexpr::Compiler::new(&c)
        .compile(
            r#"@action{loyalty.points} > 100 and @action{loyalty.jo_status_code} == "http_200""#,
        )
        .expect("compiles");
    let response =
        serde_json::json!({"points": 150, "status": "gold", "jo_status_code": "http_200"});
    let ctx = jexpr::Context::builder()
        .action("loyalty", &response)
        .build();
    assert_eq!(program.eval_condition(&ctx), Ok(true));
    // Before the action ran the response is null: so is the condition, and
    // a default stands in.
    let before = jexpr::Context::builder().build();
    assert_eq!(program.eval_condition(&before), Ok(false));
    let with_default = jexpr::Compiler::new(&c)
        .compile("@action{loyalty.points, defaultValue: -1}")
        .expect("compiles");
    assert_eq!(
        with_default.eval(&before).map(|v| v.to_json()),
        Ok(serde_json::json!(-1))
    );
    // A context file gives responses under `actions`.
    let doc =
        serde_json::json!({"actions": {"loyalty": {"points": 7, "jo_status_code": "http_200"}}});
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    assert_eq!(
        program.eval(&ctx).map(|v| v.to_json()),
        Ok(serde_json::json!(false))
    );
    // Printed back as written.
    let ast = jexpr::parse("@action{ loyalty.points ,defaultValue:0}").expect("parses");
    assert_eq!(
        jexpr::print(&ast),
        "@action{loyalty.points, defaultValue: 0}"
    );
}
