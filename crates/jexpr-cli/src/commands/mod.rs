//! One file per command (or family of commands), each a function from its
//! arguments to an exit code.

pub mod expression;
pub mod functions;
pub mod journey;
pub mod receive;
pub mod repl;
pub mod report;
pub mod serve;
pub mod studio;
pub mod trace;
