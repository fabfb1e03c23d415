//! `jexpr eval --explain`: the expression as a tree with the value of every
//! sub-expression (built by `jexpr::explain`), printed as text or JSON.

use jexpr::{Catalog, Context};
use serde_json::json;
use std::process::ExitCode;

/// Prints the tree; the exit code is the whole expression's (3 if it failed).
pub fn run(
    format: crate::cli::Format,
    src: &str,
    catalog: &Catalog,
    ctx: &Context<'_>,
) -> ExitCode {
    let root = match jexpr::explain::explain(src, catalog, ctx) {
        Ok(root) => root,
        Err(d) => {
            return crate::commands::expression::report_compile_errors(
                format,
                "expression",
                src,
                &d,
            )
        }
    };
    match format {
        crate::cli::Format::Json => outln!("{}", json!({ "explain": root.to_json() })),
        crate::cli::Format::Text => out!("{}", root.to_text()),
    }
    if root.failed() {
        ExitCode::from(crate::cli::EXIT_EVAL)
    } else {
        ExitCode::SUCCESS
    }
}
