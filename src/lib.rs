//! jexpr: a compiler and evaluator for the journey expression language.
//!
//! ```text
//! source --syntax--> AST --checker + catalog--> typed AST --compiler--> Program --VM--> Value
//! ```

pub mod diagnostic;
pub mod span;
pub mod stack;
pub mod syntax;

pub use diagnostic::Diagnostic;
pub use span::Span;
