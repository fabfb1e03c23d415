//! The abstract syntax tree: small, typed, every node with its byte span.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Integer(i64),
    Decimal(f64),
    String(String),
    /// `date("…")`: the literal's text; its type depends on the text's shape.
    Date(String),
    List(Vec<Expr>),
    Field(Box<FieldRef>),
    /// `currentEventField.…` / `currentDataPackField.…` inside a filter.
    Current(CurrentRef),
    Call(Call),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Test(TestOp, Box<Expr>),
    If(Box<[Expr; 3]>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: Name,
    pub args: Vec<Expr>,
}

/// An identifier with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `@{…}`: an event payload (or `@{journey.…}`).
    Event,
    /// `#{…}`: a data source field group.
    DataSource,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    pub origin: Origin,
    /// The first step names the event or data source; the rest walk the payload.
    pub path: Vec<Step>,
    pub default: Option<Expr>,
    pub params: Option<Vec<(Name, Expr)>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurrentKind {
    EventField,
    DataPackField,
}

impl CurrentKind {
    pub fn keyword(self) -> &'static str {
        match self {
            CurrentKind::EventField => "currentEventField",
            CurrentKind::DataPackField => "currentDataPackField",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CurrentRef {
    pub kind: CurrentKind,
    pub path: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    All,
    First,
    Last,
}

impl FilterKind {
    pub fn keyword(self) -> &'static str {
        match self {
            FilterKind::All => "all",
            FilterKind::First => "first",
            FilterKind::Last => "last",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// A field name (written as an identifier or quoted).
    Field(String),
    /// `.all(cond)`, `.first(cond)`, `.last(cond)`; the condition is optional.
    Filter(FilterKind, Option<Box<Expr>>),
    At(Box<Expr>),
    Entry(String),
    FirstEntryKey,
    Keys,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength; higher binds tighter (section 5's table).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

pub use crate::value::ops::TestOp;

/// Precedence levels shared by the parser's grammar and the printer.
pub mod prec {
    pub const NOT: u8 = 3;
    pub const COMPARE: u8 = 4;
    pub const UNARY: u8 = 7;
    pub const PRIMARY: u8 = 8;
}

impl Expr {
    /// How tightly this node binds when printed (see [`prec`]).
    pub fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Binary(op, ..) => op.precedence(),
            ExprKind::Test(..) => prec::COMPARE,
            ExprKind::Unary(UnaryOp::Not, _) => prec::NOT,
            ExprKind::Unary(UnaryOp::Neg, _) => prec::UNARY,
            // A negative literal prints with its sign, so it binds like unary minus.
            ExprKind::Integer(i) if *i < 0 => prec::UNARY,
            ExprKind::Decimal(d) if d.is_sign_negative() => prec::UNARY,
            _ => prec::PRIMARY,
        }
    }
}

impl Expr {
    /// Levels of nesting below and including this node (bounded by the
    /// parser at `MAX_DEPTH`, so this recursion is too).
    pub fn depth(&self) -> usize {
        let children = match &self.kind {
            ExprKind::List(items) => items.iter().map(Expr::depth).max().unwrap_or(0),
            ExprKind::Field(f) => {
                let steps = f.path.iter().map(Step::depth).max().unwrap_or(0);
                let default = f.default.as_ref().map_or(0, Expr::depth);
                let params = f
                    .params
                    .iter()
                    .flatten()
                    .map(|(_, e)| e.depth())
                    .max()
                    .unwrap_or(0);
                steps.max(default).max(params)
            }
            ExprKind::Current(c) => c.path.iter().map(Step::depth).max().unwrap_or(0),
            ExprKind::Call(call) => call.args.iter().map(Expr::depth).max().unwrap_or(0),
            ExprKind::Unary(_, e) | ExprKind::Test(_, e) => e.depth(),
            ExprKind::Binary(_, l, r) => l.depth().max(r.depth()),
            ExprKind::If(parts) => parts.iter().map(Expr::depth).max().unwrap_or(0),
            _ => 0,
        };
        children + 1
    }
}

impl Step {
    fn depth(&self) -> usize {
        match &self.kind {
            StepKind::Filter(_, Some(cond)) => cond.depth(),
            StepKind::At(index) => index.depth(),
            _ => 0,
        }
    }
}
