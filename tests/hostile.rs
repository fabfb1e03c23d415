//! Hostile input never panics or overflows the stack: every outcome is a
//! tree or diagnostics with spans inside the source.

mod common;

use jexpr::{parse, MAX_DEPTH};

fn must_not_panic(src: &str) {
    match parse(src) {
        Ok(_) => {}
        Err(diags) => {
            assert!(
                !diags.is_empty(),
                "an error without diagnostics for {src:?}"
            );
            for d in &diags {
                assert!(
                    d.span.start <= d.span.end && d.span.end as usize <= src.len(),
                    "bad span {d:?} for {src:?}"
                );
                assert!(!d.message.is_empty());
            }
        }
    }
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let mut out: Vec<String> = common::spec_examples()
        .into_iter()
        .map(|e| e.expr)
        .collect();
    for sub in ["parse", "syntax-errors"] {
        let entries = std::fs::read_dir(dir.join(sub)).expect("inputs folder");
        for entry in entries.flatten() {
            out.push(common::read_input(&entry.path()));
        }
    }
    out
}

#[test]
fn truncations_of_every_input() {
    for src in corpus() {
        for (i, _) in src.char_indices() {
            must_not_panic(&src[..i]);
            must_not_panic(&src[i..]);
        }
    }
}

#[test]
fn random_bytes_and_token_soup() {
    let mut rng = common::Rng(0x5eed);
    for _ in 0..3000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        must_not_panic(&String::from_utf8_lossy(&bytes));
    }
    let pieces = [
        "@{",
        "#{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ".",
        ",",
        "'",
        "\"",
        "\\",
        "and",
        "or",
        "not",
        "if",
        "then",
        "else",
        "is",
        "null",
        "has",
        "==",
        "<",
        "-",
        "+",
        "*",
        "1",
        "2.5",
        "E",
        "x",
        "all(",
        "first(",
        "at(",
        "entry(",
        "keys()",
        "defaultValue:",
        "params:",
        "{",
        "currentEventField",
        "é",
        "\n",
        " ",
    ];
    for _ in 0..5000 {
        let n = rng.below(16);
        let src: String = (0..n).map(|_| *rng.pick(&pieces)).collect();
        must_not_panic(&src);
    }
}

#[test]
fn mutations_of_valid_inputs() {
    let mut rng = common::Rng(42);
    let inputs = corpus();
    let alphabet: Vec<char> = "(){}[]@#.,:'\"\\ -+*/%<>=!abnotz019é".chars().collect();
    for _ in 0..4000 {
        let mut chars: Vec<char> = rng.pick(&inputs).chars().collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 if at < chars.len() => chars[at] = *rng.pick(&alphabet),
                _ => chars.insert(at, *rng.pick(&alphabet)),
            }
        }
        must_not_panic(&chars.into_iter().collect::<String>());
    }
}

fn assert_too_deep(src: &str) {
    let diags = parse(src).expect_err("deep nesting must be rejected");
    assert_eq!(diags[0].code, "E0121", "{:?}", diags[0]);
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    assert_too_deep(&format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)));
    assert_too_deep(&format!("{}true", "not ".repeat(10_000)));
    assert_too_deep(&format!("{}1", "-".repeat(10_000)));
    assert_too_deep(&format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)));
    assert_too_deep(&format!("{}1{}", "f(".repeat(10_000), ")".repeat(10_000)));
    assert_too_deep(&vec!["1"; 10_000].join(" + "));
    assert_too_deep(&format!(
        "@{{E.a{}}}",
        ".all(currentEventField.b".repeat(5_000) + &")".repeat(5_000)
    ));
    // Unbalanced deep input is still reported, not recursed into.
    must_not_panic(&"(".repeat(100_000));
    must_not_panic(&"not ".repeat(100_000));
}

#[test]
fn nesting_just_under_the_limit_parses() {
    let depth = MAX_DEPTH - 2;
    let src = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&src).is_ok());
    let src = format!("{}true", "not ".repeat(depth));
    assert!(parse(&src).is_ok());
}

#[test]
fn huge_inputs() {
    let big = format!("\"{}\"", "a".repeat(1 << 20));
    let ast = parse(&big).expect("a 1 MB string literal parses");
    assert_eq!(ast.span.end as usize, big.len());
    must_not_panic(&format!("\"{}", "a".repeat(1 << 20)));
    must_not_panic(&"9".repeat(1 << 16));
    must_not_panic(&format!("{}.5", "9".repeat(400)));
    let too_long = "1".repeat(jexpr::MAX_SOURCE_LEN + 1);
    assert_eq!(parse(&too_long).expect_err("too long")[0].code, "E0120");
}

#[test]
fn long_flat_paths_are_a_diagnostic_not_a_stack_overflow() {
    // With sample data lacking `a`, every step types as null, so only the
    // length limit stops a 100,000-step path (it once overflowed the stack
    // when the read plan for it was dropped).
    let doc = serde_json::json!({"events": {"E": {"b": 1}}});
    let catalog = jexpr::Catalog::infer(&doc);
    for tail in ["}", "} == 1", ", defaultValue: 2} == 1"] {
        let src = format!("@{{E.{}{tail}", vec!["a"; 100_000].join("."));
        let err = jexpr::Compiler::new(&catalog)
            .compile(&src)
            .expect_err("too long");
        assert_eq!(err.first().code, "E0121");
        assert!(
            err.first().message.contains("100001 steps"),
            "{}",
            err.first().message
        );
    }
    let src = format!(
        "@{{E.products.all(currentEventField.{}).sku}}",
        vec!["a"; 1000].join(".")
    );
    assert_eq!(
        jexpr::Compiler::new(&catalog)
            .compile(&src)
            .expect_err("too long")
            .first()
            .code,
        "E0121"
    );
}

#[test]
fn journey_properties_need_no_catalog() {
    let catalog = jexpr::Catalog::no_data();
    let checked = jexpr::check("@{journey.lastDataFetchElapsedTime}", &catalog).expect("built in");
    assert_eq!(checked.ty, jexpr::Type::Integer);
    assert_eq!(
        jexpr::check("@{E.x}", &catalog)
            .expect_err("needs data")
            .first()
            .code,
        "E0213"
    );
}

#[test]
fn deeply_nested_catalog_types_are_errors() {
    for name in [
        "list<".repeat(100_000) + "integer" + &">".repeat(100_000),
        "list".repeat(100_000) + "Integer",
    ] {
        let text = serde_json::json!({"events": {"E": {"fields": {"x": name}}}}).to_string();
        let err = jexpr::Catalog::from_text(&text).expect_err("too deep");
        assert!(err.to_string().contains("unknown type name"), "{err}");
        assert!(
            err.to_string().len() < 400,
            "the message echoes the whole name"
        );
    }
    // Thirty-two levels are fine.
    let name = "list<".repeat(32) + "integer" + &">".repeat(32);
    let text = serde_json::json!({"events": {"E": {"fields": {"x": name}}}}).to_string();
    assert!(jexpr::Catalog::from_text(&text).is_ok());
}

#[test]
fn a_ref_chain_counts_its_cached_depth() {
    // Definitions d0 → d1 → … each one level deeper; properties resolve them
    // from the deep end in steps of 50, so each lookup finds the rest cached.
    let dir = std::env::temp_dir().join(format!("jexpr-ref-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let n = 2000;
    let mut defs = serde_json::Map::new();
    for i in 0..n {
        defs.insert(format!("d{i}"), serde_json::json!({"type": "object", "properties": {"a": {"$ref": format!("#/$defs/d{}", i + 1)}}}));
    }
    defs.insert(format!("d{n}"), serde_json::json!({"type": "integer"}));
    let mut props = serde_json::Map::new();
    for i in (0..=n).rev().step_by(50) {
        props.insert(
            format!("p{i}"),
            serde_json::json!({"$ref": format!("#/$defs/d{i}")}),
        );
    }
    let schema = serde_json::json!({"$id": "https://example.com/chain", "type": "object", "properties": props, "$defs": defs});
    std::fs::write(dir.join("chain.schema.json"), schema.to_string()).expect("schema");
    std::fs::write(
        dir.join("catalog.json"),
        r#"{"events": {"E": {"schema": "chain.schema.json"}}}"#,
    )
    .expect("catalog");
    let err = jexpr::Catalog::load(&dir.join("catalog.json")).expect_err("too deep");
    assert!(err.to_string().contains("deeper than 256 levels"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn event_bytes_follow_the_full_parse_on_duplicate_keys_and_bad_bytes() {
    let catalog = jexpr::Catalog::from_text(
        r#"{"events": {"E": {"fields": {"o": {"r": "string"}, "n": "integer"}}}}"#,
    )
    .expect("catalog");
    let program = jexpr::Compiler::new(&catalog)
        .compile(r#"@{E.o.r} == "a""#)
        .expect("compiles");
    let ctx = jexpr::Context::default();
    // The last of two equal keys wins, as when the payload is parsed whole.
    for (bytes, expected) in [
        (&br#"{"o":{"r":"a"},"o":{}}"#[..], false),
        (&br#"{"o":{},"o":{"r":"a"}}"#[..], true),
        (&br#"{"o":{"r":"b","r":"a"}}"#[..], true),
        (&br#"{"o":{"r":"a","r":"b"}}"#[..], false),
    ] {
        let parsed: serde_json::Value = serde_json::from_slice(bytes).expect("json");
        let whole = program
            .eval(&jexpr::Context::builder().event("E", &parsed).build())
            .expect("runs")
            .to_json();
        assert_eq!(
            whole,
            serde_json::json!(expected),
            "{}",
            String::from_utf8_lossy(bytes)
        );
        let fast = program.eval_event_bytes(&ctx, "E", bytes).expect("runs");
        assert_eq!(fast, whole, "{}", String::from_utf8_lossy(bytes));
    }
    // Bytes that are not UTF-8, even in a field no program reads, are not JSON.
    let bad = b"{\"o\":{\"r\":\"a\"},\"junk\":\"\xff\xfe\"}";
    assert!(serde_json::from_slice::<serde_json::Value>(bad).is_err());
    let err = program
        .eval_event_bytes(&ctx, "E", bad)
        .expect_err("invalid");
    assert_eq!(err.kind, jexpr::EvalErrorKind::InvalidData);
    assert!(program.read_event("E", bad).is_err());
}

fn eval_text(src: &str, doc: &serde_json::Value) -> Result<String, String> {
    let catalog = jexpr::Catalog::infer(doc);
    let program = jexpr::Compiler::new(&catalog)
        .compile(src)
        .map_err(|d| d.to_string())?;
    let ctx = jexpr::Context::from_json(doc).map_err(|e| e.to_string())?;
    program
        .eval(&ctx)
        .map(|v| v.display())
        .map_err(|e| e.message)
}

#[test]
fn the_ends_of_the_calendar_are_errors_not_panics() {
    let none = serde_json::json!({});
    // The largest instant shown at +18:00 has no local time.
    assert_eq!(
        eval_text(
            r#"updateTimeZone(toDateTime(8210266876799999), "+18:00")"#,
            &none
        )
        .as_deref(),
        Ok("+262142-12-31T23:59:59.999Z")
    );
    for src in [
        r#"toDateTimeOnly(updateTimeZone(toDateTime(8210266876799999), "+18:00"))"#,
        r#"setDays(updateTimeZone(toDateTime(8210266876799999), "+18:00"), 1)"#,
        r#"toDateOnly(updateTimeZone(toDateTime(-8334601228800000), "-18:00"))"#,
    ] {
        let err = eval_text(src, &none).expect_err(src);
        assert!(err.contains("end of the calendar"), "{src}: {err}");
    }
}

#[test]
fn sorting_values_of_mixed_types_is_a_total_order() {
    let doc = serde_json::json!({"events": {"E": {"l": [{"k": 3}, {"k": "a"}, {"k": 1}, {"k": true}, {"k": null}, {"k": "b"}, {"k": 2.5}]}}});
    assert_eq!(
        eval_text(r#"sort(@{E.l}, "k", true)"#, &doc).as_deref(),
        Ok(r#"[{"k":1}, {"k":2.5}, {"k":3}, {"k":"a"}, {"k":"b"}, {"k":true}, {"k":null}]"#)
    );
    assert_eq!(
        eval_text(r#"sort(@{E.l}, "k", false)"#, &doc).as_deref(),
        Ok(r#"[{"k":true}, {"k":"b"}, {"k":"a"}, {"k":3}, {"k":2.5}, {"k":1}, {"k":null}]"#)
    );
}

#[test]
fn huge_durations_and_decimal_overflow_are_errors() {
    let none = serde_json::json!({});
    let catalog = jexpr::Catalog::no_data();
    let err = jexpr::Compiler::new(&catalog)
        .compile(r#"toDuration("P1969226660422097589487121DT1H")"#)
        .expect_err("out of range");
    assert_eq!(err.first().code, "E0404");
    // Computed at run time, the same text is an evaluation error, not a wrapped value.
    let doc = serde_json::json!({"events": {"E": {"d": "P1969226660422097589487121DT1H"}}});
    assert!(eval_text("toDuration(@{E.d})", &doc).is_err());
    for src in [
        r#"toDecimal("1e308") * 10.0"#,
        r#"toString(toDecimal("1e308") * 10.0)"#,
        r#"sum([toDecimal("1.7e308"), toDecimal("1.7e308")])"#,
    ] {
        let err = eval_text(src, &none).expect_err(src);
        assert!(err.contains("decimal overflow"), "{src}: {err}");
    }
}

#[test]
fn negated_literals_print_as_they_parse() {
    for src in ["--0", "- -5", "--0.0", "-(-x)"] {
        let Ok(ast) = jexpr::parse(src) else { continue };
        let printed = jexpr::print(&ast);
        let again = jexpr::parse(&printed).expect("reparses");
        assert_eq!(
            jexpr::sexpr(&ast),
            jexpr::sexpr(&again),
            "{src} printed as {printed}"
        );
    }
    // Printing nested negations is linear, not exponential.
    let src = format!("{}1", "-(".repeat(100)) + &")".repeat(100);
    let ast = jexpr::parse(&src).expect("parses");
    assert!(jexpr::print(&ast).len() < 2000);
}

#[test]
fn builtins_are_bounded_in_size_and_work() {
    let none = serde_json::json!({});
    // 462 bytes of nested replaceAll once tried to allocate 6.8 GB while
    // folding; now the fold stops and evaluation reports the size.
    let mut src = r#""abcdefghij""#.to_string();
    for _ in 0..8 {
        src = format!(r#"replaceAll({src}, "", "abcdefghij")"#);
    }
    let err = eval_text(&src, &none).expect_err("too large");
    assert!(err.contains("limit is 16 MiB"), "{err}");
    // A 100 KB string split into characters and joined with a 100 KB separator.
    let src = format!(
        r#"serializeList(split("{}", ""), "{}", false)"#,
        "a".repeat(100_000),
        "x".repeat(100_000)
    );
    let err = eval_text(&src, &none).expect_err("too large");
    assert!(err.contains("limit is 16 MiB"), "{err}");
    // Set functions hash: 50,000 integers, half of them repeated.
    let items: Vec<u64> = (0..50_000).map(|i| i % 25_000).collect();
    let doc = serde_json::json!({"events": {"E": {"l": items}}});
    assert_eq!(
        eval_text("distinctCount(@{E.l})", &doc).as_deref(),
        Ok("25000")
    );
    assert_eq!(
        eval_text("count(intersect(@{E.l}, @{E.l}))", &doc).as_deref(),
        Ok("25000")
    );
    // Work inside a builtin is charged to the work limit.
    let catalog = jexpr::Catalog::infer(&doc);
    let program = jexpr::Compiler::new(&catalog)
        .compile("distinctCount(@{E.l})")
        .expect("compiles");
    let mut ctx = jexpr::Context::from_json(&doc).expect("context");
    ctx.fuel = 10_000;
    let err = program.eval(&ctx).expect_err("out of fuel");
    assert_eq!(err.kind, jexpr::EvalErrorKind::WorkLimit);
}

/// Issue 21: an expression that grows memory (a list of concatenations of
/// a large field) allocated without bound; each cost one unit of fuel.
/// What a computed value allocates is charged, so the work limit bounds
/// memory too: 400 two-megabyte strings (800 MB) stop at the limit.
#[test]
fn allocation_is_charged_to_the_work_limit() {
    let big = "x".repeat(1 << 20);
    let doc = serde_json::json!({"events": {"E": {"s": big}}});
    let items = vec!["@{E.s} + @{E.s}"; 400].join(", ");
    let src = format!("count([{items}])");
    let catalog = jexpr::Catalog::infer(&doc);
    let program = jexpr::Compiler::new(&catalog)
        .compile(&src)
        .expect("compiles");
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    let err = program.eval(&ctx).expect_err("stopped by the work limit");
    assert_eq!(err.kind, jexpr::EvalErrorKind::WorkLimit, "{}", err.message);
    // Well within the limit, the same shape evaluates.
    let small = serde_json::json!({"events": {"E": {"s": "ab"}}});
    let ctx = jexpr::Context::from_json(&small).expect("context");
    let program = jexpr::Compiler::new(&jexpr::Catalog::infer(&small))
        .compile(&src)
        .expect("compiles");
    assert_eq!(
        program.eval(&ctx).map(|v| v.display()),
        Ok("400".to_string())
    );
}

#[test]
fn quadratic_corners_stay_linear() {
    // Thousands of errors: the first fifty, and a count of the rest.
    let src = format!("[{}]", vec!["f()"; 2000].join(","));
    let diags = jexpr::check(&src, &jexpr::Catalog::no_data()).expect_err("unknown function");
    assert_eq!(diags.len(), 51);
    assert_eq!(diags[50].code, "E0199");
    assert!(
        diags[50].message.starts_with("1950 more problems"),
        "{}",
        diags[50].message
    );
    // A list of 20,000 objects with different keys is typed in one pass.
    let items: Vec<serde_json::Value> = (0..20_000)
        .map(|i| serde_json::json!({format!("k{i}"): i}))
        .collect();
    let doc = serde_json::json!({"events": {"E": {"l": items}}});
    let catalog = jexpr::Catalog::infer(&doc);
    assert_eq!(
        jexpr::check("@{E.l.k19999}", &catalog)
            .expect("typed")
            .ty
            .to_string(),
        "listInteger"
    );
    // "Did you mean" over 100,000 field names (most of other lengths).
    let fields: serde_json::Map<String, serde_json::Value> = (0..100_000)
        .map(|i| {
            (
                format!("field_number_{i}_{}", "x".repeat(i % 50)),
                serde_json::json!("integer"),
            )
        })
        .collect();
    let text = serde_json::json!({"events": {"E": {"fields": fields}}}).to_string();
    let catalog = jexpr::Catalog::from_text(&text).expect("catalog");
    let err = jexpr::check("@{E.field_number_7_xxxxxxy}", &catalog).expect_err("unknown");
    assert_eq!(
        err.first().help.as_deref(),
        Some("did you mean `field_number_7_xxxxxxx`?")
    );
}

#[test]
fn a_device_as_a_catalog_is_refused_by_size() {
    let err = jexpr::Catalog::load(std::path::Path::new("/dev/zero")).expect_err("endless");
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}

#[test]
fn parenthesised_operands_have_balanced_spans() {
    // An overflow in `((@{E.big})) * 2` was located at `@{E.big})) * 2`.
    let doc = serde_json::json!({"events": {"E": {"big": i64::MAX}}});
    let catalog = jexpr::Catalog::infer(&doc);
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    for (src, expected) in [
        ("((@{E.big})) * 2", "((@{E.big})) * 2"),
        ("2 * (@{E.big})", "2 * (@{E.big})"),
        ("1 + (@{E.big} + 1)", "(@{E.big} + 1)"),
    ] {
        let program = jexpr::Compiler::new(&catalog)
            .compile(src)
            .expect("compiles");
        let err = program.eval(&ctx).expect_err("overflow");
        assert_eq!(err.span.text(src), expected, "{src}");
    }
}

#[test]
fn the_incremental_input_scanner_agrees_with_a_full_scan() {
    let inputs = [
        "if (@{E.a} > 1)\nthen (\"x\")\nelse (\"y\")",
        "[1,\n2,\n3]",
        "\"a string\nthat goes on\"\n+ 1",
        "1 +\n\n2",
        "not\n(true)",
        "(1))\n+ 2",
        "'open\nstill\n",
    ];
    for text in inputs {
        let mut scanner = jexpr::authoring::InputScanner::default();
        let mut pending = String::new();
        for line in text.split('\n') {
            if !pending.is_empty() {
                pending.push('\n');
            }
            pending.push_str(line);
            assert_eq!(
                scanner.needs_more(&pending),
                jexpr::authoring::needs_more(&pending),
                "{pending:?}"
            );
        }
    }
    // A piped input that never closes is scanned line by line, not again
    // and again: 200,000 continuation lines.
    let mut scanner = jexpr::authoring::InputScanner::default();
    let mut pending = String::from("(");
    for _ in 0..200_000 {
        pending.push_str("\n1 +");
        assert!(scanner.needs_more(&pending));
    }
}
