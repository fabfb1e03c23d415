//! The builtin functions as authors read about them: `jexpr functions` and
//! the REPL's `:functions` / `:doc`, all from the one builtin table.

use crate::builtins::{self, Category, Nulls, SignatureDisplay};

/// One builtin function's documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDoc {
    /// The name.
    pub name: &'static str,
    /// The group it is listed under (`strings`, `dates`, …).
    pub category: &'static str,
    /// Each accepted signature: `substr(string, integer) → string`.
    pub signatures: Vec<String>,
    /// What a `null` argument does.
    pub nulls: &'static str,
    /// What it does, with the documented examples.
    pub doc: &'static str,
}

fn category(c: Category) -> &'static str {
    match c {
        Category::Audience => "audiences",
        Category::Aggregation => "aggregation",
        Category::Conversion => "conversion",
        Category::Dates => "dates",
        Category::Lists => "lists",
        Category::Math => "math",
        Category::Strings => "strings",
    }
}

fn doc_of(b: &'static builtins::Builtin) -> FunctionDoc {
    FunctionDoc {
        name: b.name,
        category: category(b.category),
        signatures: b
            .overloads
            .iter()
            .map(|o| SignatureDisplay(b, o).to_string())
            .collect(),
        nulls: match b.nulls {
            Nulls::Propagate => "a null argument makes the result null",
            Nulls::Handle => "handles null arguments itself (see below)",
        },
        doc: b.doc,
    }
}

/// Every builtin, by group, in the table's order.
pub fn functions() -> Vec<FunctionDoc> {
    builtins::all().map(doc_of).collect()
}

/// One builtin by its exact name.
pub fn function(name: &str) -> Option<FunctionDoc> {
    builtins::lookup(name).map(doc_of)
}
