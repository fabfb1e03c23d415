//! The typed AST: what the checker hands the compiler. Every node has its
//! type; calls name their resolved overload; field references name their root.

use crate::builtins::Builtin;
use crate::span::Span;
use crate::syntax::ast::{BinaryOp, FilterKind, TestOp, UnaryOp};
use crate::temporal::ZonedDateTime;
use crate::types::Type;
use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Type,
    pub span: Span,
}

/// A literal value known at compile time.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    String(Arc<str>),
    DateOnly(NaiveDate),
    DateTimeOnly(NaiveDateTime),
    DateTime(ZonedDateTime),
}

/// Where a field reference starts.
#[derive(Clone, Debug)]
pub enum Root {
    Event(String),
    DataSource {
        source: String,
        group: String,
        params: Vec<(String, TExpr)>,
    },
    /// `@{journey.<property>}`.
    Journey(String),
    /// `currentEventField` / `currentDataPackField`: the innermost filter's element.
    Current,
}

#[derive(Clone, Debug)]
pub enum TStep {
    Field(String),
    Filter(FilterKind, Option<TExpr>),
    At(TExpr),
    Entry(String),
    FirstEntryKey,
    Keys,
}

#[derive(Clone, Debug)]
pub enum TKind {
    Const(Const),
    List(Vec<TExpr>),
    Field {
        root: Root,
        steps: Vec<TStep>,
        default: Option<Box<TExpr>>,
    },
    Call {
        builtin: &'static Builtin,
        overload: usize,
        args: Vec<TExpr>,
    },
    Unary(UnaryOp, Box<TExpr>),
    Binary(BinaryOp, Box<TExpr>, Box<TExpr>),
    Test(TestOp, Box<TExpr>),
    If(Box<[TExpr; 3]>),
}

impl TExpr {
    pub fn as_const(&self) -> Option<&Const> {
        match &self.kind {
            TKind::Const(c) => Some(c),
            _ => None,
        }
    }
}
