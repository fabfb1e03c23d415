//! `jexpr functions [NAME]`: the builtin table as documentation.

use crate::cli::{Format, EXIT_USAGE};
use crate::error::usage_error;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

pub fn functions(name: Option<&str>, format: Format) -> ExitCode {
    use jexpr::authoring::{function, functions, FunctionDoc};
    let all = functions();
    let (chosen, full): (Vec<FunctionDoc>, bool) = match name {
        None => (all, false),
        Some(n) => match function(n) {
            Some(f) => (vec![f], true),
            None => {
                let prefixed: Vec<FunctionDoc> = all
                    .iter()
                    .filter(|f| f.name.starts_with(n))
                    .cloned()
                    .collect();
                if prefixed.is_empty() {
                    let hint = jexpr::authoring::closest(n, all.iter().map(|f| f.name))
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    let message = format!("no function is named or starts with `{n}`{hint}");
                    if format == Format::Json {
                        outln!("{}", json!({ "error": { "message": message } }));
                        return ExitCode::from(EXIT_USAGE);
                    }
                    return usage_error(&message);
                }
                (prefixed, false)
            }
        },
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A reader that goes away (`| head`) ends the listing quietly.
    let _ = write_functions(&mut out, &chosen, full, format);
    ExitCode::SUCCESS
}

pub fn write_functions(
    out: &mut impl Write,
    chosen: &[jexpr::authoring::FunctionDoc],
    full: bool,
    format: Format,
) -> std::io::Result<()> {
    if format == Format::Json {
        let list: Vec<_> = chosen
            .iter()
            .map(|f| {
                json!({"name": f.name, "group": f.category, "signatures": f.signatures,
                       "nulls": f.nulls, "doc": f.doc})
            })
            .collect();
        writeln!(out, "{}", json!({ "functions": list }))?;
        return out.flush();
    }
    if full {
        for f in chosen {
            writeln!(out, "{} ({})", f.name, f.category)?;
            for s in &f.signatures {
                writeln!(out, "  {s}")?;
            }
            writeln!(out, "null: {}", f.nulls)?;
            writeln!(out, "{}", f.doc)?;
        }
        return out.flush();
    }
    let mut group = "";
    for f in chosen {
        if f.category != group {
            if !group.is_empty() {
                writeln!(out)?;
            }
            group = f.category;
            writeln!(out, "{group}:")?;
        }
        for s in &f.signatures {
            writeln!(out, "  {s}")?;
        }
    }
    out.flush()
}
