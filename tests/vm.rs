//! The compiler and VM: folding agrees with evaluation, programs read as
//! expected, hostile input and data never panic, work is bounded.

mod common;

use common::Rng;
use jexpr::{Catalog, Compiler, Context};
use std::path::Path;

fn fixture_catalog() -> Catalog {
    Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog.json"))
        .expect("catalog")
}

#[test]
fn disassembly() {
    let catalog = fixture_catalog();
    insta::glob!("inputs/programs/*.jexpr", |path| {
        let src = common::read_input(path);
        let program = Compiler::new(&catalog)
            .compile(&src)
            .unwrap_or_else(|d| panic!("{src}: {d:?}"));
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\noutput:\n{}",
            program.disassemble()
        ));
    });
}

/// A random constant expression (it may not type-check; those are skipped).
fn random_expr(rng: &mut Rng, depth: usize) -> String {
    let leaves = [
        "0",
        "1",
        "2",
        "-3",
        "7",
        "9223372036854775807",
        "-9223372036854775808",
        "0.5",
        "2.5",
        "-1.25",
        "0.0",
        "\"a\"",
        "\"Hello\"",
        "\"\"",
        "'x,y,,'",
        "true",
        "false",
        "null",
        "[1, 2, 3]",
        "[1, null]",
        "[]",
        "[\"b\", \"a\"]",
        "[2.5, 1.5]",
        "toDuration(\"PT1H\")",
        "toDuration(\"PT-0.5S\")",
        "toDateTime(\"2024-03-31T01:30:00+01:00[Europe/Paris]\")",
        "toDateTimeOnly(\"2024-02-29T23:00:00\")",
        "date(\"2024-02-29\")",
        // Data, so that folding meets jumps and non-constant neighbours.
        "@{E.n}",
        "@{E.x}",
        "@{E.s}",
        "@{E.items.qty}",
        "@{E.missing, defaultValue: 3}",
        "@{E.missing, defaultValue: \"d\"}",
        "@{E.n, defaultValue: 4}",
    ];
    if depth == 0 || rng.below(4) == 0 {
        return rng.pick(&leaves).to_string();
    }
    let a = random_expr(rng, depth - 1);
    let b = random_expr(rng, depth - 1);
    match rng.below(12) {
        0..=3 => {
            let ops = ["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "and", "or"];
            format!("({a} {} {b})", rng.pick(&ops))
        }
        4 => format!("not ({a})"),
        5 => format!("-({a})"),
        6 => format!("if ({a}) then ({b}) else ({})", random_expr(rng, depth - 1)),
        // Lists up to 12 long, of field reads and expressions: the operand
        // stack must be sized for all of them (a 9-element list of field
        // reads once overflowed it).
        7 => {
            let n = 1 + rng.below(12);
            let items: Vec<String> = (0..n)
                .map(|i| match i % 3 {
                    0 => a.clone(),
                    1 => rng
                        .pick(&["@{E.n}", "@{E.x}", "@{E.n, defaultValue: 1}"])
                        .to_string(),
                    _ => b.clone(),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        8 => format!("({a}) is null"),
        _ => {
            let funcs = [
                "length",
                "upper",
                "trim",
                "toString",
                "toInteger",
                "toDecimal",
                "toBool",
                "round",
                "count",
                "sum",
                "avg",
                "max",
                "min",
                "distinct",
                "listSize",
                "concat",
                "substr",
                "indexOf",
                "split",
                "in",
                "intersect",
                "limit",
                "sort",
                "getListItem",
                "setHours",
                "setDays",
                "toDuration",
                "toDateOnly",
                "serializeList",
            ];
            let f = rng.pick(&funcs);
            match rng.below(3) {
                0 => format!("{f}({a})"),
                1 => format!("{f}({a}, {b})"),
                _ => format!("{f}({a}, {b}, {})", random_expr(rng, depth - 1)),
            }
        }
    }
}

fn outcome(program: &jexpr::Program, ctx: &Context<'_>) -> String {
    match program.eval(ctx) {
        Ok(v) => format!("{} : {}", v.display_quoted(), program.ty()),
        Err(e) => format!("error {} at {:?}", e.message, e.span),
    }
}

#[test]
fn folding_agrees_with_evaluation() {
    let doc = edge_context();
    let catalog = Catalog::infer(&doc);
    let ctx = Context::from_json(&doc).expect("context");
    let mut rng = Rng(0xf01d);
    let mut compared = 0;
    for _ in 0..6000 {
        let src = random_expr(&mut rng, 4);
        let folded = Compiler::new(&catalog).compile(&src);
        let plain = Compiler::new(&catalog).fold_constants(false).compile(&src);
        match (folded, plain) {
            (Ok(f), Ok(p)) => {
                assert!(f.len() <= p.len(), "{src}: folding made the program longer");
                assert_eq!(
                    outcome(&f, &ctx),
                    outcome(&p, &ctx),
                    "{src}\nfolded:\n{}\nplain:\n{}",
                    f.disassemble(),
                    p.disassemble()
                );
                compared += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "{src}: folding changed the compile errors"),
            (f, p) => panic!(
                "{src}: folded {:?} vs plain {:?}",
                f.map(|_| ()),
                p.map(|_| ())
            ),
        }
    }
    assert!(
        compared > 1000,
        "only {compared} random expressions type-checked"
    );
}

#[test]
fn lists_of_many_field_reads_fit_the_operand_stack() {
    let doc = serde_json::json!({"events": {"E": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10}}});
    let catalog = Catalog::infer(&doc);
    let ctx = Context::from_json(&doc).expect("context");
    let src = "[@{E.a}, @{E.b}, @{E.c}, @{E.d}, @{E.e}, @{E.f}, @{E.g}, @{E.h}, @{E.i}, @{E.j}]";
    let program = Compiler::new(&catalog).compile(src).expect("compiles");
    assert_eq!(
        program.eval(&ctx).expect("runs").display(),
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
    );
}

#[test]
fn an_invalid_pattern_read_from_data_says_why_once() {
    let doc = serde_json::json!({"events": {"E": {"p": "("}}});
    let catalog = Catalog::infer(&doc);
    let ctx = Context::from_json(&doc).expect("context");
    let program = Compiler::new(&catalog)
        .compile(r#"matchRegExp("a", @{E.p})"#)
        .expect("compiles");
    let err = program.eval(&ctx).expect_err("an invalid pattern");
    assert_eq!(
        err.message,
        "invalid regular expression `(`: unclosed group"
    );
}

fn edge_context() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/edge-context.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("context")).expect("json")
}

/// Replaces random values in a JSON document by values of other shapes.
fn mutate_json(rng: &mut Rng, v: &mut serde_json::Value) {
    use serde_json::json;
    let replacements = [
        json!(null),
        json!(1),
        json!(-2.5),
        json!("x"),
        json!("2024-05-01T10:00:00Z"),
        json!(true),
        json!([]),
        json!([1, "a", null]),
        json!({}),
        json!({"a": [1]}),
        json!(1e300),
        json!(u64::MAX),
    ];
    match v {
        serde_json::Value::Object(map) => {
            for (_, child) in map.iter_mut() {
                if rng.below(4) == 0 {
                    *child = rng.pick(&replacements).clone();
                } else {
                    mutate_json(rng, child);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for child in items.iter_mut() {
                if rng.below(4) == 0 {
                    *child = rng.pick(&replacements).clone();
                } else {
                    mutate_json(rng, child);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn mutated_expressions_and_data_never_panic() {
    let original = edge_context();
    let catalog = Catalog::infer(&original);
    let mut exprs: Vec<String> = common::examples("edge-cases.txt")
        .into_iter()
        .map(|e| e.expr)
        .collect();
    exprs.extend(common::spec_examples().into_iter().map(|e| e.expr));
    let mut rng = Rng(7);
    let alphabet: Vec<char> = "(){}[]@#.,:'\"\\ -+*/%<>=!abnotz019é".chars().collect();
    for round in 0..400 {
        let mut doc = original.clone();
        mutate_json(&mut rng, &mut doc);
        let Ok(ctx) = Context::from_json(&doc) else {
            continue;
        };
        for src in exprs.iter().skip(round % 7).step_by(7) {
            let mut chars: Vec<char> = src.chars().collect();
            if rng.below(2) == 0 && !chars.is_empty() {
                let at = rng.below(chars.len());
                chars[at] = *rng.pick(&alphabet);
            }
            let src: String = chars.into_iter().collect();
            if let Ok(program) = Compiler::new(&catalog).compile(&src) {
                let _ = program.eval(&ctx);
            }
        }
    }
}

#[test]
fn random_catalogs_never_panic() {
    let mut rng = Rng(99);
    let names = [
        "string",
        "integer",
        "decimal",
        "listString",
        "map<string>",
        "strng",
        "",
        "object",
        "dateTime",
    ];
    for _ in 0..2000 {
        let mut fields = serde_json::Map::new();
        for i in 0..rng.below(4) {
            let t = match rng.below(5) {
                0 => serde_json::json!([rng.pick(&names)]),
                1 => serde_json::json!({"$map": rng.pick(&names)}),
                2 => serde_json::json!({"inner": rng.pick(&names)}),
                3 => serde_json::json!(42),
                _ => serde_json::json!(rng.pick(&names)),
            };
            fields.insert(format!("f{i}"), t);
        }
        let doc = serde_json::json!({"events": {"E": {"fields": fields}}, "audiences": ["a"]});
        let _ = Catalog::from_json(&doc, Path::new("random.json"));
    }
}

#[test]
fn work_is_bounded_by_fuel() {
    let items: Vec<serde_json::Value> = (0..2000).map(|i| serde_json::json!({"n": i})).collect();
    let doc = serde_json::json!({"events": {"E": {"items": items}}});
    let catalog = Catalog::infer(&doc);
    let src = "count(@{E.items.all(count(@{E.items.all(currentEventField.n > 0).n}) > 0).n})";
    let program = Compiler::new(&catalog).compile(src).expect("compiles");
    let mut ctx = Context::from_json(&doc).expect("context");
    ctx.fuel = 100_000;
    let err = program
        .eval(&ctx)
        .expect_err("4 million element visits exceed the limit");
    assert!(err.message.contains("work limit"), "{}", err.message);
    ctx.fuel = u64::MAX;
    assert_eq!(
        program.eval(&ctx).expect("runs without a limit").display(),
        "2000"
    );
}

#[test]
fn evaluation_errors_point_at_the_failing_subexpression() {
    let catalog = Catalog::no_data();
    let src = r#"length("abc") + (9223372036854775807 + 1)"#;
    let program = Compiler::new(&catalog).compile(src).expect("compiles");
    let err = program.eval(&Context::default()).expect_err("overflow");
    assert_eq!(err.span.text(src), "(9223372036854775807 + 1)");
    assert!(err.message.contains("overflow"));

    let doc = serde_json::json!({"events": {"E": {"d": "not a date"}}});
    let mut catalog = Catalog::infer(&doc);
    catalog.events.insert(
        "E".into(),
        jexpr::Type::object([("d".to_string(), jexpr::Type::DateTime)].into()),
    );
    let src = "@{E.d} > now()";
    let program = Compiler::new(&catalog).compile(src).expect("compiles");
    let err = program
        .eval(&Context::from_json(&doc).expect("ctx"))
        .expect_err("bad date");
    assert_eq!(err.span.text(src), "@{E.d}");
}

#[test]
fn random_and_uuid_are_seeded() {
    let catalog = Catalog::no_data();
    let program = Compiler::new(&catalog)
        .compile("[toString(random()), uuid(), uuid()]")
        .expect("compiles");
    let run = |seed: u64| {
        let ctx = Context::builder().seed(seed).build();
        program.eval(&ctx).expect("runs").display()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
    let uuid = Compiler::new(&catalog).compile("uuid()").expect("compiles");
    let text = uuid.eval(&Context::default()).expect("runs").display();
    let re =
        regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .expect("re");
    assert!(re.is_match(&text), "{text} is not a v4 UUID");
}

#[test]
fn programs_are_shared_across_threads() {
    let doc = serde_json::json!({"events": {"E": {"n": 5}}});
    let catalog = Catalog::infer(&doc);
    let program = std::sync::Arc::new(
        Compiler::new(&catalog)
            .compile("@{E.n} * 2")
            .expect("compiles"),
    );
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let program = program.clone();
            std::thread::spawn(move || {
                let doc = serde_json::json!({"events": {"E": {"n": i}}});
                let ctx = Context::from_json(&doc).expect("ctx");
                program.eval(&ctx).expect("runs").display()
            })
        })
        .collect();
    let results: Vec<String> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(results, ["0", "2", "4", "6"]);
}

/// A random condition of comparisons joined by and/or/not: what the boolean
/// register machine runs.
fn random_condition(rng: &mut Rng, depth: usize) -> String {
    let all_ops: &[&str] = &["==", "!=", "<", "<=", ">", ">="];
    let equality: &[&str] = &["==", "!="];
    let numbers: &[&str] = &["3", "2.5", "-1", "0.0", "null", "1"];
    let strings: &[&str] = &["\"text\"", "\"Mars/Olympus\"", "null", "\"\""];
    // Each field with the constants and operators that type-check against it.
    let comparisons: &[(&str, &[&str], &[&str])] = &[
        ("@{E.n}", numbers, all_ops),
        ("@{E.x}", numbers, all_ops),
        ("@{E.missing}", numbers, all_ops),
        ("@{E.s}", strings, equality),
        ("@{E.zone}", strings, equality),
        ("@{E.badRegex}", strings, equality),
        ("@{E.missing.deeper}", strings, equality),
    ];
    let predicates = [
        "startWith(@{E.s}, \"te\")",
        "contain(@{E.zone}, \"/\")",
        "matchRegExp(@{E.s}, \"^t.x\")",
        "equalIgnoreCase(@{E.missing.deeper}, \"x\")",
        "endWithIgnoreCase(@{E.badRegex}, \"(\")",
        "startWith(@{E.n}, \"3\")",
    ];
    if depth == 0 || rng.below(3) == 0 {
        if rng.below(3) == 0 {
            return rng.pick(&predicates).to_string();
        }
        let (field, constants, ops) = rng.pick(comparisons);
        return format!("{field} {} {}", rng.pick(ops), rng.pick(constants));
    }
    let a = random_condition(rng, depth - 1);
    let b = random_condition(rng, depth - 1);
    match rng.below(4) {
        0 => format!("({a}) and ({b})"),
        1 => format!("({a}) or ({b})"),
        2 => format!("not ({a})"),
        _ => format!("({a}) and true or false"),
    }
}

#[test]
fn register_machine_agrees_with_the_vm() {
    let original = edge_context();
    let catalog = Catalog::infer(&original);
    let mut rng = Rng(0xb001);
    let mut checked = 0;
    // Many mutated contexts are invalid (their `events` replaced) and skipped.
    for round in 0..300 {
        let mut doc = original.clone();
        if round > 0 {
            // Data that differs from what the catalog was inferred from.
            mutate_json(&mut rng, &mut doc);
        }
        let Ok(ctx) = Context::from_json(&doc) else {
            continue;
        };
        for _ in 0..60 {
            let src = random_condition(&mut rng, 3);
            let Ok(program) = Compiler::new(&catalog).compile(&src) else {
                continue;
            };
            let fast = program.eval(&ctx).map(|v| v.display_quoted());
            let full = program.eval_general(&ctx).map(|v| v.display_quoted());
            assert_eq!(fast, full, "{src}\n{}", program.disassemble());
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} conditions compiled");
}

#[test]
fn selective_reading_gives_the_same_results() {
    let doc = edge_context();
    let catalog = Catalog::infer(&doc);
    let event_bytes = serde_json::to_vec(&doc["events"]["E"]).expect("bytes");
    let mut compared = 0;
    for ex in common::examples("edge-cases.txt") {
        let Ok(program) = Compiler::new(&catalog).compile(&ex.expr) else {
            continue;
        };
        let selected = program
            .read_event("E", &event_bytes)
            .expect("selective read");
        let mut full_doc = doc.clone();
        full_doc["events"]["E"] = doc["events"]["E"].clone();
        let full_ctx = Context::from_json(&full_doc).expect("ctx");
        let mut sel_doc = doc.clone();
        sel_doc["events"]["E"] = selected;
        let sel_ctx = Context::from_json(&sel_doc).expect("ctx");
        let full = program
            .eval(&full_ctx)
            .map(|v| v.display_quoted())
            .map_err(|e| e.message);
        let part = program
            .eval(&sel_ctx)
            .map(|v| v.display_quoted())
            .map_err(|e| e.message);
        assert_eq!(full, part, "line {}: {}", ex.line, ex.expr);
        compared += 1;
    }
    assert!(compared > 100);
}

/// One `EventReader` for several programs: each program's result on the
/// one read is its result on the whole payload, on data that does not match
/// the catalog too.
#[test]
fn one_read_for_several_programs_gives_each_its_results() {
    let original = edge_context();
    let catalog = Catalog::infer(&original);
    let mut sources: Vec<String> = common::examples("edge-cases.txt")
        .into_iter()
        .map(|ex| ex.expr)
        .collect();
    let mut rng = Rng(0x5e1ec7);
    sources.extend((0..200).map(|_| random_condition(&mut rng, 2)));
    let programs: Vec<(String, jexpr::Program)> = sources
        .into_iter()
        .filter_map(|src| {
            let p = Compiler::new(&catalog).compile(&src).ok()?;
            Some((src, p))
        })
        .collect();
    let mut compared = 0;
    for round in 0..200 {
        let mut doc = original.clone();
        if round > 0 {
            mutate_json(&mut rng, &mut doc);
        }
        let Ok(full_ctx) = Context::from_json(&doc) else {
            continue;
        };
        let Some(event) = doc.get("events").and_then(|e| e.get("E")) else {
            continue;
        };
        let bytes = serde_json::to_vec(event).expect("bytes");
        for _ in 0..20 {
            let group: Vec<&(String, jexpr::Program)> =
                (0..1 + rng.below(4)).map(|_| rng.pick(&programs)).collect();
            let mut reader = jexpr::EventReader::new("E");
            for (_, program) in &group {
                reader.add(program);
            }
            let read = reader.read(&bytes).expect("one read");
            let mut read_doc = doc.clone();
            read_doc["events"]["E"] = read;
            let read_ctx = Context::from_json(&read_doc).expect("ctx");
            for (src, program) in &group {
                let outcome = |ctx: &Context<'_>| {
                    program
                        .eval(ctx)
                        .map(|v| v.display_quoted())
                        .map_err(|e| e.message)
                };
                assert_eq!(outcome(&full_ctx), outcome(&read_ctx), "{src}");
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "only {compared} compared");
}

#[test]
fn selective_reading_keeps_only_what_is_read() {
    let doc = serde_json::json!({"events": {"E": {"a": {"b": 1, "c": 2}, "xdm:ts": "2024-05-01T10:00:00Z", "list": [{"k": 1, "z": 9}], "big": [1, 2, 3]}}});
    let catalog = Catalog::infer(&doc);
    let program = Compiler::new(&catalog)
        .compile("@{E.a.b} == 1 and @{E.ts} < now() and @{E.list.k} == [1]")
        .expect("compiles");
    let bytes = br#"{"big": [1, {"deep": [2]}], "a": {"c": 2, "b": 1}, "xdm:ts": "2024-05-01T10:00:00Z", "list": [{"z": 9, "k": 1}], "esc\"aped": 1}"#;
    let event = program.read_event("E", bytes).expect("reads");
    assert_eq!(
        event,
        serde_json::json!({"a": {"b": 1}, "xdm:ts": "2024-05-01T10:00:00Z", "list": [{"k": 1}]})
    );
    // A filter on the register, projected: each element's condition and
    // projected fields only.
    let filter = Compiler::new(&catalog)
        .compile("count(@{E.list.all(currentEventField.z > 0).k})")
        .expect("compiles");
    assert_eq!(
        filter.read_event("E", bytes).expect("reads"),
        serde_json::json!({"list": [{"z": 9, "k": 1}]})
    );
    // A filter whose elements are the value: all of the event is kept.
    let whole = Compiler::new(&catalog)
        .compile("@{E.list.all(currentEventField.k > 0)}")
        .expect("compiles");
    assert_eq!(
        whole.read_event("E", bytes).expect("reads")["big"],
        serde_json::json!([1, {"deep": [2]}])
    );
    assert!(program.read_event("E", b"{\"a\": ").is_err());
    // UTF-8 is checked once for the whole payload; a bad byte in a field no
    // one reads is still an error, located as a full parse locates it.
    let bad: &[u8] = b"{\"a\": {\"b\": 1}, \"z\": \"\xff\"}";
    let full = serde_json::from_slice::<serde_json::Value>(bad).expect_err("not UTF-8");
    let read = program.read_event("E", bad).expect_err("not UTF-8");
    assert_eq!(read.to_string(), full.to_string());
    let ctx = Context::default();
    assert!(program.eval_event_bytes(&ctx, "E", bad).is_err());
}

/// `eval_event_bytes` (leaves read straight from bytes, or the fields it
/// needs) must agree with evaluating the fully parsed event.
fn assert_bytes_agree(program: &jexpr::Program, doc: &serde_json::Value, src: &str) {
    let Ok(full_ctx) = Context::from_json(doc) else {
        return;
    };
    let full = program
        .eval(&full_ctx)
        .map(|v| v.to_json())
        .map_err(|e| e.message);
    let mut without = doc.clone();
    if let Some(events) = without.get_mut("events").and_then(|e| e.as_object_mut()) {
        events.remove("E");
    }
    let Ok(base) = Context::from_json(&without) else {
        return;
    };
    let bytes = serde_json::to_vec(&doc["events"]["E"]).expect("bytes");
    let from_bytes = program
        .eval_event_bytes(&base, "E", &bytes)
        .map_err(|e| e.message);
    assert_eq!(full, from_bytes, "{src}\nevent: {}", doc["events"]["E"]);
}

#[test]
fn evaluation_from_bytes_agrees() {
    let original = edge_context();
    let catalog = Catalog::infer(&original);
    for ex in common::examples("edge-cases.txt") {
        if let Ok(program) = Compiler::new(&catalog).compile(&ex.expr) {
            assert_bytes_agree(&program, &original, &ex.expr);
        }
    }
    let awkward = [
        serde_json::json!({"s": "te\"xt", "n": 3, "x": 2.5}),
        serde_json::json!({"xdm:s": "text", "s": "other", "n": 3}),
        serde_json::json!({"s": "text", "xdm:s": "other", "xdm:n": 3}),
        serde_json::json!({"n": u64::MAX, "x": 1e300}),
        serde_json::json!({"n": 3.0, "x": 3}),
        serde_json::json!({"n": null, "s": null, "missing": {"deeper": "x"}}),
        serde_json::json!({"missing": [{"deeper": "x"}], "s": ["text"]}),
        serde_json::json!({"missing": "scalar", "s": {"a": 1}}),
        serde_json::json!({"xdm:missing": {"deeper": "x"}, "missing": {"deeper": "y"}}),
        serde_json::json!({"n": 3, "n\u{0}": 4, "x\"": 1}),
    ];
    let mut rng = Rng(0xb17e5);
    let mut payloads: Vec<serde_json::Value> = awkward.to_vec();
    for _ in 0..200 {
        let mut e = original["events"]["E"].clone();
        mutate_json(&mut rng, &mut e);
        payloads.push(e);
    }
    let mut checked = 0;
    for payload in payloads {
        let mut doc = original.clone();
        doc["events"]["E"] = payload;
        for _ in 0..20 {
            let src = random_condition(&mut rng, 3);
            if let Ok(program) = Compiler::new(&catalog).compile(&src) {
                assert_bytes_agree(&program, &doc, &src);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} conditions compiled");
    // An object result comes back as the object, not as its text.
    let object = Compiler::new(&catalog)
        .compile("@{E.identityMap}")
        .expect("compiles");
    let bytes = br#"{"identityMap": {"Email": [{"id": "a@example.com"}]}}"#;
    assert_eq!(
        object
            .eval_event_bytes(&Context::default(), "E", bytes)
            .expect("evaluates"),
        serde_json::json!({"Email": [{"id": "a@example.com"}]})
    );
    // Invalid JSON is an evaluation error, not a panic.
    let program = Compiler::new(&catalog)
        .compile("@{E.n} == 3")
        .expect("compiles");
    assert!(program
        .eval_event_bytes(&Context::default(), "E", b"{\"n\": ")
        .is_err());
}

/// A random element of a `products` list: fields of the catalog's types,
/// of other types, null or missing.
fn random_product(rng: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    let prices = [
        json!(12.5),
        json!(60),
        json!(50.0),
        json!("70"),
        json!(null),
        json!([55.0]),
    ];
    let skus = [
        json!("SKU-1"),
        json!("sku-2"),
        json!("SKU-3"),
        json!(7),
        json!(null),
        json!(["SKU-4", "SKU-5"]),
    ];
    let mut item = serde_json::Map::new();
    if rng.below(8) > 0 {
        item.insert("price".into(), rng.pick(&prices).clone());
    }
    if rng.below(8) > 0 {
        item.insert("sku".into(), rng.pick(&skus).clone());
    }
    item.insert("qty".into(), json!(rng.below(4)));
    if rng.below(3) == 0 {
        item.insert("meta".into(), json!({"k": rng.below(3)}));
    }
    match rng.below(20) {
        0 => json!(null),
        1 => json!("not an object"),
        _ => serde_json::Value::Object(item),
    }
}

/// A random condition on `currentEventField` (and the event's own `min`).
fn random_element_condition(rng: &mut Rng, depth: usize) -> String {
    let leaves = [
        "currentEventField.price > 50.0",
        "currentEventField.price <= 60.0",
        "currentEventField.qty >= 1",
        "currentEventField.qty == 2",
        "currentEventField.sku == \"SKU-1\"",
        "currentEventField.sku != null",
        "startWith(currentEventField.sku, \"SKU\")",
        "currentEventField.meta.k == 1",
        "@{E.min} < 3",
        "true",
    ];
    if depth == 0 || rng.below(3) == 0 {
        return rng.pick(&leaves).to_string();
    }
    let a = random_element_condition(rng, depth - 1);
    let b = random_element_condition(rng, depth - 1);
    match rng.below(3) {
        0 => format!("({a}) and ({b})"),
        1 => format!("({a}) or ({b})"),
        _ => format!("not ({a})"),
    }
}

/// Filters whose condition runs on the register for each element agree
/// with the full VM on random collections: values, errors (and where they
/// point), and running out of fuel at every point.
#[test]
fn register_filters_agree_with_the_vm() {
    let typed = serde_json::json!({"events": {"E": {"min": 1, "products": [
        {"price": 1.5, "sku": "s", "qty": 1, "meta": {"k": 1}}]}}});
    let catalog = Catalog::infer(&typed);
    let mut rng = Rng(0xc011ec7);
    let mut compared = 0;
    let mut on_register = 0;
    for _ in 0..400 {
        let kind = *rng.pick(&["all", "first", "last"]);
        let cond = random_element_condition(&mut rng, 3);
        let filtered = format!("@{{E.products.{kind}({cond})");
        let src = match rng.below(8) {
            0 => format!("count({filtered}.sku}})"),
            6 => format!("count({filtered}.sku}}) > 1"),
            7 => format!("count({filtered}.price}}) == 0"),
            1 => format!("{filtered}}}"),
            2 => format!("{filtered}.price}}"),
            3 => format!("sum({filtered}.qty}})"),
            4 => format!("in(\"SKU-1\", {filtered}.sku}})"),
            _ => format!("count({filtered}.sku}}) > 1 and @{{E.min}} == 1"),
        };
        let src = if kind != "all" && matches!(src.chars().next(), Some('c' | 's' | 'i')) {
            // first/last give one element: aggregate over the whole list instead.
            format!("{filtered}.sku}}")
        } else {
            src
        };
        let Ok(program) = Compiler::new(&catalog).compile(&src) else {
            continue;
        };
        let products: Vec<serde_json::Value> = (0..rng.below(12))
            .map(|_| random_product(&mut rng))
            .collect();
        let doc = serde_json::json!({"events": {"E": {"min": rng.below(4), "products": products}}});
        // Reading only what the program reads of the event's bytes changes nothing.
        let bytes = serde_json::to_vec(&doc["events"]["E"]).expect("bytes");
        let mut read_doc = doc.clone();
        read_doc["events"]["E"] = program.read_event("E", &bytes).expect("reads");
        if let (Ok(full), Ok(read)) = (Context::from_json(&doc), Context::from_json(&read_doc)) {
            let shown = |ctx: &Context<'_>| {
                program
                    .eval(ctx)
                    .map(|v| v.display_quoted())
                    .map_err(|e| e.message)
            };
            assert_eq!(shown(&full), shown(&read), "{src}\n{doc}\n{read_doc}");
        }
        // Every fuel amount up to 150: running out must happen at the same
        // instruction on both, so each path must charge exactly the same.
        for fuel in std::iter::once(jexpr::DEFAULT_FUEL).chain(0..150) {
            let Ok(mut ctx) = Context::from_json(&doc) else {
                continue;
            };
            ctx.fuel = fuel;
            let outcome = |r: Result<jexpr::Value<'_>, jexpr::EvalError>| {
                r.map(|v| v.display_quoted())
                    .map_err(|e| (e.message, e.span))
            };
            let fast = outcome(program.eval(&ctx));
            let full = outcome(program.eval_general(&ctx));
            assert_eq!(
                fast,
                full,
                "{src}\nfuel {fuel}\n{doc}\n{}",
                program.disassemble()
            );
            assert_eq!(
                program.fuel_left(&ctx, true),
                program.fuel_left(&ctx, false),
                "fuel charged: {src}\n{doc}"
            );
            compared += 1;
        }
        on_register += usize::from(program.disassemble().contains("filter"));
    }
    assert!(
        compared > 10_000 && on_register > 100,
        "{compared} compared, {on_register} filters"
    );
}

/// A products list written as JSON text with what a serialiser would not
/// write: null and scalar elements, repeated keys, `xdm:` twins, escapes.
fn awkward_products_text(rng: &mut Rng, products: &[serde_json::Value]) -> String {
    let mut items = Vec::new();
    for p in products {
        match rng.below(20) {
            0 => items.push("null".to_string()),
            1 => items.push("5".to_string()),
            2 => items.push("[1]".to_string()),
            _ => {
                let mut fields: Vec<String> = p
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| format!("{}: {v}", serde_json::json!(k)))
                    .collect();
                match rng.below(10) {
                    0 => fields.push(r#""price": 99.5"#.into()),
                    1 => fields.push(r#""xdm:price": 70.0"#.into()),
                    2 => fields.insert(0, r#""xdm:sku": "SKU-1""#.into()),
                    3 => fields.push(r#""s\u006bu": "SKU-\u0031""#.into()),
                    _ => {}
                }
                items.push(format!("{{{}}}", fields.join(", ")));
            }
        }
    }
    format!("[{}]", items.join(", "))
}

/// `count(list.all(cond).field) op constant` evaluated from bytes, where
/// the list is streamed element by element into slots, agrees with the VM
/// on the parsed event: values, errors and where they point, and running
/// out of fuel at every limit.
#[test]
fn count_conditions_from_bytes_agree_with_the_vm() {
    let typed = serde_json::json!({"events": {"E": {"min": 1, "products": [
        {"price": 1.5, "sku": "s", "qty": 1, "meta": {"k": 1}}]}}});
    let catalog = Catalog::infer(&typed);
    // Shapes a streaming reader could get wrong, each with elements that
    // count, so reading the wrong list or element changes the answer.
    let program = Compiler::new(&catalog)
        .compile("count(@{E.products.all(currentEventField.price > 50.0).sku}) > 0")
        .expect("compiles");
    let one = r#"[{"price": 60.0, "sku": "a"}]"#;
    for (text, expected) in [
        (format!(r#"{{"products": {one}, "products": []}}"#), false),
        (format!(r#"{{"products": [], "products": {one}}}"#), true),
        (
            format!(r#"{{"xdm:products": {one}, "products": []}}"#),
            false,
        ),
        (format!(r#"{{"xdm:products": {one}}}"#), true),
        (
            r#"{"products": [{"price": 60.0, "sku": null}]}"#.into(),
            false,
        ),
        (
            r#"{"products": [{"price": 60.0}, {"sku": "b"}]}"#.into(),
            false,
        ),
        (
            r#"{"products": [{"price": 60.0, "sku": "a", "sku": null}]}"#.into(),
            false,
        ),
        (
            r#"{"products": [{"price": 60.0, "xdm:sku": "a"}]}"#.into(),
            true,
        ),
        (
            r#"{"products": [null, {"price": 60.0, "sku": "a"}]}"#.into(),
            true,
        ),
    ] {
        let got = program.eval_event_bytes(&Context::default(), "E", text.as_bytes());
        assert_eq!(
            got.map_err(|e| e.message),
            Ok(serde_json::json!(expected)),
            "{text}"
        );
    }
    let mut rng = Rng(0xb7e5);
    let mut compared = 0;
    for _ in 0..300 {
        let cond = random_element_condition(&mut rng, 3);
        let field = *rng.pick(&["sku", "price", "qty"]);
        let op = *rng.pick(&["> 1", "== 0", ">= 2", "!= 1"]);
        let src = format!("count(@{{E.products.all({cond}).{field}}}) {op}");
        let Ok(program) = Compiler::new(&catalog).compile(&src) else {
            continue;
        };
        let products: Vec<serde_json::Value> = (0..rng.below(10))
            .map(|_| random_product(&mut rng))
            .collect();
        let list = awkward_products_text(&mut rng, &products);
        let text = match rng.below(12) {
            0 => format!(
                r#"{{"min": {}, "products": {list}, "products": []}}"#,
                rng.below(4)
            ),
            1 => format!(r#"{{"xdm:products": [], "min": 1, "products": {list}}}"#),
            2 => r#"{"min": 1, "products": null}"#.to_string(),
            3 => r#"{"min": 1}"#.to_string(),
            4 => format!(r#"{{"min": 1, "products": {list}}} x"#),
            5 => format!(r#"{{"min": 1, "products": {list}"#),
            _ => format!(r#"{{"min": {}, "products": {list}}}"#, rng.below(4)),
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text);
        for fuel in std::iter::once(jexpr::DEFAULT_FUEL).chain(0..150) {
            let mut base = Context::default();
            base.fuel = fuel;
            let from_bytes = program
                .eval_event_bytes(&base, "E", text.as_bytes())
                .map_err(|e| (e.message, e.span));
            let expected = match &parsed {
                Ok(event) => {
                    let doc = serde_json::json!({"events": {"E": event}});
                    let mut ctx = Context::from_json(&doc).expect("context");
                    ctx.fuel = fuel;
                    program
                        .eval(&ctx)
                        .map(|v| v.to_json())
                        .map_err(|e| (e.message, e.span))
                }
                Err(e) => Err((
                    format!("event `E` is not valid JSON: {e}"),
                    jexpr::Span::default(),
                )),
            };
            assert_eq!(from_bytes, expected, "{src}\nfuel {fuel}\n{text}");
            compared += 1;
        }
    }
    assert!(compared > 20_000, "{compared} compared");
}
