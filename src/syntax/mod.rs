//! Syntax: the pest grammar (`grammar/jexpr.pest`), the AST, and the printer.

pub mod ast;
mod explain;
mod grammar;
pub mod lexer;
mod mistakes;
mod parser;
pub mod printer;

pub use parser::{parse, MAX_DEPTH, MAX_SOURCE_LEN};

/// The language's keywords (section 2): lowercase and case sensitive.
pub const KEYWORDS: &[&str] = &[
    "and", "or", "not", "if", "then", "else", "is", "null", "has", "numeric", "integer", "decimal",
    "true", "false",
];

/// The binary operators, as written.
pub const BINARY_OPERATORS: &[&str] = &[
    "and", "or", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
];
