//! jexpr: a compiler and evaluator for the journey expression language.
//!
//! ```text
//! source --syntax--> AST --checker + catalog--> typed AST --compiler--> Program --VM--> Value
//! ```

pub mod catalog;
pub mod diagnostic;
pub mod span;
pub mod stack;
pub mod suggest;
pub mod syntax;
pub mod temporal;
pub mod types;

pub use catalog::Catalog;
pub use diagnostic::Diagnostic;
pub use span::Span;
pub use types::Type;
