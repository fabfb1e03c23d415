//! The language commands: `check`, `eval` (with `--explain` and
//! `--events`) and `fmt`, and what they share (reading the expression, the
//! catalog and context, printing diagnostics).

use crate::cli::{Format, Input, EXIT_COMPILE, EXIT_EVAL};
use crate::error::{usage_error, usage_error_in};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use jexpr::diagnostic::{self, Diagnostic};
use jexpr::{Catalog, Compiler, Context, Type};
use serde_json::json;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

/// A result as `eval` prints it: the canonical display, with `null` written
/// out (an empty line would look like an empty string).
pub fn shown(value: &jexpr::Value<'_>) -> String {
    if value.is_null() {
        "null".into()
    } else {
        value.display()
    }
}

/// What snippets call the source: the file's path, or `expression`.
pub fn source_name(input: &Input) -> String {
    match (&input.file, input.expr.as_deref()) {
        (Some(path), _) => path.display().to_string(),
        (None, Some("-")) => "<stdin>".into(),
        _ => "expression".into(),
    }
}

/// Reads the expression text from the argument, `--file` or standard input.
pub fn read_source(input: &Input) -> Result<String, String> {
    read_text(input.file.as_deref(), input.expr.as_deref())
}

pub fn read_text(file: Option<&std::path::Path>, expr: Option<&str>) -> Result<String, String> {
    match (file, expr) {
        (Some(path), _) => jexpr_journey::read_limited(path).map_err(|e| format!("--file: {e}")),
        (None, Some("-")) => {
            // One byte past the longest source: the compiler then says E0120.
            let mut text = String::new();
            std::io::stdin()
                .take(jexpr::MAX_SOURCE_LEN as u64 + 1)
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the expression from standard input: {e}"))?;
            Ok(text)
        }
        (None, Some(expr)) => Ok(expr.to_string()),
        (None, None) => {
            Err("no expression given: pass EXPR, --file F, or - for standard input".into())
        }
    }
}

pub fn fmt(check: bool, file: Option<&std::path::Path>, expr: Option<&str>) -> ExitCode {
    let src = match read_text(file, expr) {
        Ok(src) => src,
        Err(message) => return usage_error(&message),
    };
    let name = file.map_or_else(|| "expression".to_string(), |p| p.display().to_string());
    let ast = match jexpr::parse(&src) {
        Ok(ast) => ast,
        Err(diags) => return report_compile_errors(Format::Text, &name, &src, &diags),
    };
    let canonical = jexpr::print(&ast);
    if !check {
        outln!("{canonical}");
        return ExitCode::SUCCESS;
    }
    if src.trim_end_matches(['\n', '\r']) == canonical {
        ExitCode::SUCCESS
    } else {
        errln!("{name} is not in canonical form; `jexpr fmt` prints it as:\n{canonical}");
        ExitCode::from(EXIT_COMPILE)
    }
}

/// The catalog to check against: `--catalog`, else inferred from `--context`, else none.
pub fn load_catalog(input: &Input) -> Result<Catalog, String> {
    if let Some(path) = &input.catalog {
        return Catalog::load(path).map_err(|e| format!("invalid catalog: {e}"));
    }
    match load_context(input)? {
        Some(context) => Ok(Catalog::infer(&context)),
        None => Ok(Catalog::no_data()),
    }
}

pub fn load_context(input: &Input) -> Result<Option<serde_json::Value>, String> {
    let Some(path) = &input.context else {
        return Ok(None);
    };
    let text = jexpr_journey::read_limited(path).map_err(|e| format!("--context: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("invalid context {}: not valid JSON: {e}", path.display()))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(format!(
            "invalid context {}: a context is a JSON object (docs/language.md, Tools)",
            path.display()
        ));
    };
    // A line of a journey run's profiles file (`profileId`, `dataSources`,
    // `audiences`) is a context of that profile's data: the quickest way to
    // ask why a condition on it is false.
    if map.contains_key("profileId") {
        if map.contains_key("fetches") {
            return Err(format!(
                "invalid context {}: a profiles line's `fetches` are read by journeys, not by eval; give their data under `dataSources`",
                path.display()
            ));
        }
        map.remove("profileId");
    }
    Ok(Some(serde_json::Value::Object(map)))
}

/// `eval --events`: the expression over each line's event. Types come from
/// the catalog, or else from the context and every event name's first
/// payload.
pub fn eval_events(
    input: &Input,
    events: &std::path::Path,
    now: Option<&str>,
    tz: Option<&str>,
) -> ExitCode {
    let fail = |m: &str| usage_error_in(input.format, m);
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return fail(&message),
    };
    let text = match jexpr_journey::read_limited(events) {
        Ok(t) => t,
        Err(e) => return fail(&format!("--events: {e}")),
    };
    let base = match load_context(input) {
        Ok(doc) => doc.unwrap_or_else(|| json!({})),
        Err(message) => return fail(&message),
    };
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // A profile-update line of a journey run's events file is no event:
        // it has nothing to evaluate against.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            if v.get("event").is_none()
                && (v.get("profile").is_some() || v.get("audiences").is_some())
            {
                continue;
            }
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| format!("not valid JSON: {e}"))
            .and_then(
                |v| match (v.get("event").and_then(|e| e.as_str()), v.get("payload")) {
                    (Some(name), payload) => Ok((
                        name.to_string(),
                        payload.cloned().unwrap_or_else(|| json!({})),
                        v.get("time").and_then(|t| t.as_str()).map(str::to_string),
                    )),
                    _ => Err("not an event line (no `event`)".to_string()),
                },
            );
        lines.push((i + 1, parsed));
    }
    let catalog = match &input.catalog {
        Some(path) => match Catalog::load(path) {
            Ok(c) => c,
            Err(e) => return fail(&format!("invalid catalog: {e}")),
        },
        None => {
            let mut doc = base.clone();
            for (_, parsed) in &lines {
                if let Ok((name, payload, _)) = parsed {
                    if doc["events"].get(name).is_none() {
                        doc["events"][name] = payload.clone();
                    }
                }
            }
            Catalog::infer(&doc)
        }
    };
    let program = match Compiler::new(&catalog).compile(&src) {
        Ok(p) => p,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    let zone = match tz.map(|t| jexpr::time::parse_zone(t).ok_or(t)).transpose() {
        Ok(z) => z,
        Err(t) => return fail(&format!("--tz: {}", jexpr::time::unknown_zone_message(t))),
    };
    let fixed_now = match now.map(jexpr::time::parse_instant).transpose() {
        Ok(n) => n,
        Err(message) => return fail(&format!("--now: {message}")),
    };
    let mut failed = false;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, parsed) in lines {
        let result = parsed.and_then(|(name, payload, time)| {
            let mut doc = base.clone();
            doc["events"] = json!({ name: payload });
            let mut ctx = Context::from_json(&doc).map_err(|e| format!("invalid event: {e}"))?;
            ctx.now = match (fixed_now, time) {
                (Some(t), _) => t,
                (None, Some(t)) => {
                    jexpr::time::parse_instant(&t).map_err(|e| format!("`time`: {e}"))?
                }
                (None, None) => chrono::Utc::now(),
            };
            if let Some(z) = &zone {
                ctx.time_zone = *z;
            }
            program
                .eval(&ctx)
                .map(|v| (shown(&v), v.to_json()))
                .map_err(|e| e.message)
        });
        failed |= result.is_err();
        let written = match (result, input.format) {
            (Ok((text, _)), Format::Text) => writeln!(out, "{n}: {text}"),
            (Ok((_, value)), Format::Json) => {
                writeln!(out, "{}", json!({ "line": n, "value": value }))
            }
            (Err(message), Format::Text) => writeln!(out, "{n}: error: {message}"),
            (Err(message), Format::Json) => {
                writeln!(
                    out,
                    "{}",
                    json!({ "line": n, "error": { "message": message } })
                )
            }
        };
        if written.is_err() {
            // The reader went away (`| head`): nothing more to say.
            return ExitCode::SUCCESS;
        }
    }
    if out.flush().is_err() {
        return ExitCode::SUCCESS;
    }
    if failed {
        ExitCode::from(EXIT_EVAL)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn check(input: &Input, expect: Option<&str>) -> ExitCode {
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let expected = match expect.map(|name| Type::from_name(name).ok_or(name)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(name)) => {
            // `bool`, `int`: the start of a name; else the closest one.
            let hint = Type::NAMES
                .iter()
                .copied()
                .find(|t| t.to_lowercase().starts_with(&name.to_lowercase()))
                .or_else(|| jexpr::authoring::closest(name, Type::NAMES.iter().copied()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return usage_error_in(
                input.format,
                &format!("--expect: unknown type `{name}`{hint}"),
            );
        }
    };
    let catalog = match load_catalog(input) {
        Ok(c) => c,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let typed = match jexpr::check(&src, &catalog) {
        Ok(typed) => typed,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    if let Some(expected) = &expected {
        if let Err(d) = typed.expect(expected) {
            return report_compile_errors(input.format, &source_name(input), &src, &[d]);
        }
    }
    if input.format == Format::Json {
        let mut v = json!({ "type": typed.ty.to_string() });
        add_warnings(&mut v, &typed.warnings);
        outln!("{v}");
    } else {
        report_warnings(&source_name(input), &src, &typed.warnings);
        outln!("{}", typed.ty);
    }
    ExitCode::SUCCESS
}

/// Warnings as text on stderr, rendered like errors.
pub fn report_warnings(name: &str, src: &str, warnings: &[Diagnostic]) {
    if !warnings.is_empty() {
        let mut stderr = StandardStream::stderr(color_choice());
        diagnostic::emit(&mut stderr, name, src, warnings);
    }
}

/// Warnings in a JSON result, as `"warnings"` beside the value (never an
/// error: the exit code does not change).
pub fn add_warnings(v: &mut serde_json::Value, warnings: &[Diagnostic]) {
    if warnings.is_empty() {
        return;
    }
    let list: Vec<_> = warnings
        .iter()
        .map(|d| {
            let mut w =
                json!({"code": d.code, "message": d.message, "span": [d.span.start, d.span.end]});
            if let Some(help) = &d.help {
                w["help"] = json!(help);
            }
            w
        })
        .collect();
    v["warnings"] = json!(list);
}

/// Events and data sources an expression reads, each with the span of its
/// first reference (`journey` properties are not data).
pub fn data_read(ast: &jexpr::ast::Expr) -> Vec<(jexpr::ast::Origin, String, jexpr::Span)> {
    use jexpr::ast::{ExprKind, StepKind};
    let mut found: Vec<(jexpr::ast::Origin, String, jexpr::Span)> = Vec::new();
    let mut stack = vec![ast];
    while let Some(e) = stack.pop() {
        let steps = match &e.kind {
            ExprKind::List(items) => {
                stack.extend(items);
                continue;
            }
            ExprKind::Call(call) => {
                stack.extend(&call.args);
                continue;
            }
            ExprKind::Unary(_, x) | ExprKind::Test(_, x) => {
                stack.push(x);
                continue;
            }
            ExprKind::Binary(_, l, r) => {
                stack.push(l);
                stack.push(r);
                continue;
            }
            ExprKind::If(parts) => {
                stack.extend(parts.iter());
                continue;
            }
            ExprKind::Field(f) => {
                if let Some(StepKind::Field(root)) = f.path.first().map(|s| &s.kind) {
                    let journey = f.origin == jexpr::ast::Origin::Event && root == "journey";
                    if !journey && !found.iter().any(|(o, n, _)| *o == f.origin && n == root) {
                        found.push((f.origin, root.clone(), e.span));
                    }
                }
                stack.extend(f.default.iter());
                stack.extend(f.params.iter().flatten().map(|(_, v)| v));
                &f.path
            }
            ExprKind::Current(c) => &c.path,
            _ => continue,
        };
        for step in steps {
            match &step.kind {
                StepKind::Filter(_, Some(cond)) => stack.push(cond),
                StepKind::At(i) => stack.push(i),
                _ => {}
            }
        }
    }
    found.sort_by_key(|(_, _, span)| span.start);
    found
}

/// W0501: events and data sources the expression reads that the context
/// has no sample of (with a catalog and no data, every field reads null).
pub fn missing_samples(src: &str, context: &serde_json::Value) -> Vec<Diagnostic> {
    let Ok(ast) = jexpr::parse(src) else {
        return Vec::new();
    };
    data_read(&ast)
        .into_iter()
        .filter_map(|(origin, name, span)| {
            let (key, what) = match origin {
                jexpr::ast::Origin::Event => ("events", "event"),
                jexpr::ast::Origin::DataSource => ("dataSources", "data source"),
                jexpr::ast::Origin::Action => ("actions", "action"),
            };
            if context.get(key).and_then(|m| m.get(&name)).is_some() {
                return None;
            }
            Some(
                Diagnostic::warning("W0501", span, format!("no sample data for {what} `{name}`"))
                    .with_label("every field of it reads as null here")
                    .with_help(format!(
                        "add `{key}.{name}` to the context (`--context FILE`), or try the expression on sample events with `--events FILE`"
                    )),
            )
        })
        .collect()
}

pub fn eval(input: &Input, now: Option<&str>, tz: Option<&str>, explain: bool) -> ExitCode {
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let catalog = match load_catalog(input) {
        Ok(c) => c,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let context_doc = match load_context(input) {
        Ok(doc) => doc.unwrap_or_else(|| json!({})),
        Err(message) => return usage_error_in(input.format, &message),
    };
    let mut ctx = match Context::from_json(&context_doc) {
        Ok(ctx) => ctx,
        Err(message) => {
            let file = input
                .context
                .as_ref()
                .map(|p| format!(" {}", p.display()))
                .unwrap_or_default();
            return usage_error_in(input.format, &format!("invalid context{file}: {message}"));
        }
    };
    if let Some(now) = now {
        match jexpr::time::parse_instant(now) {
            Ok(t) => ctx.now = t,
            Err(message) => return usage_error_in(input.format, &format!("--now: {message}")),
        }
    } else if context_doc.get("now").is_none() {
        ctx.now = chrono::Utc::now();
    }
    if let Some(tz) = tz {
        match jexpr::time::parse_zone(tz) {
            Some(zone) => ctx.time_zone = zone,
            None => {
                return usage_error_in(
                    input.format,
                    &format!("--tz: {}", jexpr::time::unknown_zone_message(tz)),
                )
            }
        }
    }
    let program = match Compiler::new(&catalog).compile(&src) {
        Ok(p) => p,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    if explain {
        return crate::explain::run(input.format, &src, &catalog, &ctx);
    }
    let mut warnings = jexpr::check(&src, &catalog)
        .map(|c| c.warnings)
        .unwrap_or_default();
    if input.catalog.is_some() {
        warnings.extend(missing_samples(&src, &context_doc));
    }
    match program.eval(&ctx) {
        Ok(value) => {
            if input.format == Format::Json {
                let mut v = json!({ "type": program.ty().to_string(), "value": value.to_json() });
                add_warnings(&mut v, &warnings);
                outln!("{v}");
            } else {
                report_warnings(&source_name(input), &src, &warnings);
                outln!("{}", shown(&value));
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if input.format == Format::Json {
                outln!(
                    "{}",
                    json!({ "error": {
                        "code": err.kind.code(),
                        "kind": err.kind.name(),
                        "message": err.message,
                        "span": [err.span.start, err.span.end],
                    } })
                );
            } else {
                let mut stderr = StandardStream::stderr(color_choice());
                diagnostic::emit_eval_error(&mut stderr, &source_name(input), &src, &err);
            }
            ExitCode::from(EXIT_EVAL)
        }
    }
}

/// Colour on a terminal (unless `NO_COLOR` or `TERM=dumb`), or when
/// `CLICOLOR_FORCE` is set to something other than `0`.
pub fn color_choice() -> ColorChoice {
    let forced = std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    if forced {
        ColorChoice::Always
    } else if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

pub fn report_compile_errors(
    format: Format,
    name: &str,
    src: &str,
    diags: &[Diagnostic],
) -> ExitCode {
    match format {
        Format::Json => {
            let errors: Vec<_> = diags
                .iter()
                .map(|d| {
                    let mut e = json!({
                        "code": d.code,
                        "message": d.message,
                        "span": [d.span.start, d.span.end],
                    });
                    if let Some(help) = &d.help {
                        e["help"] = json!(help);
                    }
                    e
                })
                .collect();
            outln!("{}", json!({ "errors": errors }));
        }
        Format::Text => {
            let mut stderr = StandardStream::stderr(color_choice());
            diagnostic::emit(&mut stderr, name, src, diags);
        }
    }
    ExitCode::from(EXIT_COMPILE)
}
