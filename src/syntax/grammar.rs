//! The pest grammar (`grammar/jexpr.pest`), shared by the parser and the
//! error explainer.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/jexpr.pest"]
pub(super) struct Grammar;
