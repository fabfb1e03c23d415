//! jexpr: a compiler and evaluator for the journey expression language.
//!
//! ```text
//! source --syntax--> AST --checker + catalog--> typed AST --compiler--> Program --VM--> Value
//! ```

// pest_derive without its `std` feature generates code that names `alloc`.
extern crate alloc;

pub mod builtins;
pub mod catalog;
pub mod checker;
pub mod compiler;
pub mod diagnostic;
pub mod program;
pub mod repl;
pub mod span;
pub mod stack;
pub mod suggest;
pub mod syntax;
pub mod temporal;
pub mod types;
pub mod value;
pub mod vm;

pub use catalog::Catalog;
pub use compiler::Compiler;
pub use diagnostic::Diagnostic;
pub use program::Program;
pub use span::Span;
pub use types::Type;
pub use value::Value;
pub use vm::{Context, EvalError};

use checker::TExpr;

/// Parses and type-checks `src` against `catalog`.
///
/// ```
/// let catalog = jexpr::Catalog::no_data();
/// let typed = jexpr::check("startWith(\"Hello\", \"He\") and 3 > 2", &catalog).unwrap();
/// assert_eq!(typed.ty, jexpr::Type::Boolean);
/// ```
pub fn check(src: &str, catalog: &Catalog) -> Result<TExpr, Vec<Diagnostic>> {
    let ast = syntax::parse(src)?;
    stack::run_with_depth(ast.depth(), || checker::check(&ast, src, catalog)).unwrap_or_else(|| {
        Err(vec![Diagnostic::new(
            "E0121",
            Span::point(0),
            "the expression is nested too deeply to check on this machine",
        )])
    })
}
