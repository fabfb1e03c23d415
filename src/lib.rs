//! jexpr: a compiler and evaluator for the *journey expression language*, the
//! language of the conditions, wait times and action parameters of
//! customer-journey orchestration (Adobe Journey Optimizer is the reference).
//!
//! ```text
//! source --syntax--> AST --checker + catalog--> typed AST --compiler--> Program --VM--> Value
//! ```
//!
//! # Compile once, evaluate many times
//!
//! A [`Catalog`] says which events, data sources and fields exist and their
//! types; a [`Compiler`] turns source text into a [`Program`], which is
//! immutable, `Send + Sync`, and evaluated against a [`Context`] as often as
//! needed:
//!
//! ```
//! use jexpr::{Catalog, Compiler, Context};
//! use serde_json::json;
//!
//! let catalog = Catalog::from_json(
//!     &json!({"events": {"Order": {"fields": {"total": "decimal", "channel": "string"}}}}),
//!     std::path::Path::new("catalog.json"),
//! ).unwrap();
//! let program = Compiler::new(&catalog)
//!     .compile(r#"@{Order.total} > 100.0 and @{Order.channel} == "web""#)
//!     .unwrap();
//! assert_eq!(program.ty(), &jexpr::Type::Boolean);
//!
//! for (total, expected) in [(120.5, true), (80.0, false)] {
//!     let order = json!({"total": total, "channel": "web"});
//!     let ctx = Context::builder().event("Order", &order).build();
//!     assert_eq!(program.eval_condition(&ctx).unwrap(), expected);
//! }
//! ```
//!
//! # Errors
//!
//! Compiling reports every problem as a [`Diagnostic`] (a stable code, a span
//! into the source, a message and advice), collected in [`Diagnostics`];
//! [`diagnostic::render`] shows them as a user reads them. Evaluating fails
//! with an [`EvalError`] whose [`EvalErrorKind`] says what went wrong (bad
//! data, arithmetic, a data source, the work limit), located by its span.
//!
//! ```
//! use jexpr::{Catalog, Compiler, Context, EvalErrorKind};
//! let catalog = Catalog::no_data();
//! let err = Compiler::new(&catalog).compile("1 +").unwrap_err();
//! assert_eq!(err.first().code, "E0108");
//!
//! let program = Compiler::new(&catalog).compile("toInteger(\"x\" + \"1\")").unwrap();
//! let err = program.eval(&Context::default()).unwrap_err();
//! assert_eq!(err.kind, EvalErrorKind::Function);
//! ```
//!
//! # Data sources and the clock
//!
//! `#{Source.Group.path}` reads through the [`DataSource`] trait, which may
//! lend data it holds or share an `Arc`, so an embedder can fetch lazily and
//! cache (see the trait for an example that runs); `now()`
//! reads the context's clock, which a journey runner sets to its virtual time.

#![warn(missing_docs)]
// A diagnostic is a few strings and spans; results carrying one are on the
// error path, where its size does not matter.
#![allow(clippy::result_large_err)]

// pest_derive without its `std` feature generates code that names `alloc`.
extern crate alloc;

pub mod authoring;
mod big_stack;
mod builtins;
mod catalog;
mod checker;
mod compiler;
pub mod diagnostic;
pub mod explain;
mod program;
mod span;
mod suggest;
mod syntax;
mod temporal;
mod types;
mod value;
mod vm;

/// The syntax tree [`parse()`] returns and [`print()`] prints.
pub mod ast {
    pub use crate::syntax::ast::*;
}

/// Dates, zones and durations as the language reads and displays them.
pub mod time {
    pub use crate::temporal::{
        format_date_time as format_zoned, format_duration, parse_date_time as parse_zoned,
        parse_duration, parse_zone, unknown_zone_help, unknown_zone_message, Zone, ZonedDateTime,
    };
    pub use crate::vm::context::parse_now as parse_instant;

    /// An instant as RFC 3339 UTC with milliseconds (`2024-05-01T10:00:00.000Z`).
    pub fn format_instant(t: &chrono::DateTime<chrono::Utc>) -> String {
        use chrono::{Datelike, Timelike};
        let (y, ms) = (t.year(), t.timestamp_subsec_millis().min(999));
        if !(0..=9999).contains(&y) {
            // Outside RFC 3339's four-digit years: chrono's extended form.
            return t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        }
        // Digits written by hand: traces format millions of these, and the
        // formatting machinery was a tenth of a runner's time.
        let mut out = String::with_capacity(24);
        let parts = [
            (None, y as u32, 4),
            (Some('-'), t.month(), 2),
            (Some('-'), t.day(), 2),
            (Some('T'), t.hour(), 2),
            (Some(':'), t.minute(), 2),
            (Some(':'), t.second(), 2),
            (Some('.'), ms, 3),
        ];
        for (sep, n, width) in parts {
            out.extend(sep);
            for i in (0..width).rev() {
                let digit = (n / 10u32.pow(i)) % 10;
                out.push(char::from(b'0' + digit as u8));
            }
        }
        out.push('Z');
        out
    }
}

pub use catalog::{Catalog, CatalogError};

/// What `@action{NAME.…}` reads is kept among a context's events under
/// this prefix and the action's name (`@action:loyalty`): the VM reads it
/// as an event, and no event can be named so (names are identifiers).
pub const ACTION_PREFIX: &str = "@action:";

/// The event key under which action `name`'s last response is kept.
pub fn action_key(name: &str) -> String {
    format!("{ACTION_PREFIX}{name}")
}
pub use compiler::Compiler;
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use program::{EventReader, Program};
pub use span::Span;
pub use syntax::printer::{print, sexpr};
pub use syntax::{MAX_DEPTH, MAX_SOURCE_LEN};

/// Parses `src` into a syntax tree (no catalog needed).
///
/// ```
/// let ast = jexpr::parse("1 + 2 * 3").unwrap();
/// assert_eq!(jexpr::print(&ast), "1 + 2 * 3");
/// ```
pub fn parse(src: &str) -> Result<ast::Expr, Diagnostics> {
    syntax::parse(src).map_err(Diagnostics::from)
}
pub use types::Type;
pub use value::Value;
pub use vm::context::{
    ContextBuilder, ContextError, DataSource, FetchError, Fetched, StaticData, DEFAULT_FUEL,
};
pub use vm::{Context, EvalError, EvalErrorKind};

/// The result of [`check`]: the expression's type and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The static type of the whole expression.
    pub ty: Type,
    /// The span of the whole expression (for a diagnostic about its type).
    pub span: Span,
    /// Advice about an expression that works but probably not as meant
    /// (a field missing from the sample data, a constant condition).
    pub warnings: Vec<Diagnostic>,
}

impl Checked {
    /// An `E0309` diagnostic unless the expression has type `expected`
    /// (`null` fits every type).
    pub fn expect(&self, expected: &Type) -> Result<(), Diagnostic> {
        checker::expect_type(&self.ty, self.span, expected)
    }
}

/// Parses and type-checks `src` against `catalog`.
///
/// ```
/// let catalog = jexpr::Catalog::no_data();
/// let checked = jexpr::check("startWith(\"Hello\", \"He\") and 3 > 2", &catalog).unwrap();
/// assert_eq!(checked.ty, jexpr::Type::Boolean);
/// ```
pub fn check(src: &str, catalog: &Catalog) -> Result<Checked, Diagnostics> {
    let ast = parse(src)?;
    let (typed, warnings) = big_stack::run_with_depth(ast.depth(), || {
        checker::check_with_warnings(&ast, src, catalog)
    })
    .unwrap_or_else(|| (Err(vec![big_stack::too_deep("check")]), Vec::new()));
    let typed = typed.map_err(Diagnostics::from)?;
    Ok(Checked {
        ty: typed.ty,
        span: typed.span,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    /// The hand-written digits agree with chrono's formatter over years
    /// 0000–9999, every field width, and a leap second's 1,000+ ms.
    #[test]
    fn format_instant_agrees_with_chrono() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let (lo, hi) = (-62_167_219_200_000i64, 253_402_300_799_999i64);
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = match i {
                0 => lo,
                1 => hi,
                _ => lo + (x % (hi - lo) as u64) as i64,
            };
            let t = chrono::DateTime::from_timestamp_millis(ms).expect("in range");
            let expected = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(crate::time::format_instant(&t), expected);
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .expect("leap second")
            .and_utc();
        assert_eq!(
            crate::time::format_instant(&leap),
            "2016-12-31T23:59:59.999Z"
        );
    }
}
