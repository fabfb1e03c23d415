//! The abstract syntax tree: small, typed, every node with its byte span.

use crate::span::Span;

/// An expression node and the bytes it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The kinds of expression (LANGUAGE.md section 2).
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal (a leading `-` included).
    Integer(i64),
    /// A decimal literal.
    Decimal(f64),
    /// A string literal, escapes resolved.
    String(String),
    /// `date("…")`: the literal's text; its type depends on the text's shape.
    Date(String),
    /// `[a, b, …]`.
    List(Vec<Expr>),
    /// `@{…}` or `#{…}`.
    Field(Box<FieldRef>),
    /// `currentEventField.…` / `currentDataPackField.…` inside a filter.
    Current(CurrentRef),
    /// `f(a, b)`.
    Call(Call),
    /// `not x`, `-x`.
    Unary(UnaryOp, Box<Expr>),
    /// `a op b`.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `x is null` and the other postfix tests.
    Test(TestOp, Box<Expr>),
    /// `if (c) then (a) else (b)`: condition, then, else.
    If(Box<[Expr; 3]>),
}

/// A function call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The function name.
    pub name: Name,
    /// The arguments in order.
    pub args: Vec<Expr>,
}

/// An identifier with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    /// The identifier.
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// Which sigil a field reference was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `@{…}`: an event payload (or `@{journey.…}`).
    Event,
    /// `#{…}`: a data source field group.
    DataSource,
    /// `@action{…}`: the response of an action's last call in this instance.
    Action,
}

/// A field reference: `@{Event.path}` or `#{Source.Group.path, defaultValue: …, params: {…}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRef {
    /// `@` or `#`.
    pub origin: Origin,
    /// The first step names the event or data source; the rest walk the payload.
    pub path: Vec<Step>,
    /// `defaultValue: …`.
    pub default: Option<Expr>,
    /// `params: {name: value, …}` of a data source read.
    pub params: Option<Vec<(Name, Expr)>>,
}

/// The element being filtered: of an event list or a data-source list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurrentKind {
    /// `currentEventField`.
    EventField,
    /// `currentDataPackField`.
    DataPackField,
}

impl CurrentKind {
    /// The keyword as written.
    pub fn keyword(self) -> &'static str {
        match self {
            CurrentKind::EventField => "currentEventField",
            CurrentKind::DataPackField => "currentDataPackField",
        }
    }
}

/// `currentEventField.path` inside a filter.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentRef {
    /// Which keyword.
    pub kind: CurrentKind,
    /// The steps after it.
    pub path: Vec<Step>,
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the step does.
    pub kind: StepKind,
    /// Where it is written.
    pub span: Span,
}

/// The collection functions that filter a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKind {
    /// `.all(cond)`: every matching element.
    All,
    /// `.first(cond)`: the first matching element.
    First,
    /// `.last(cond)`: the last matching element.
    Last,
}

impl FilterKind {
    /// The step name as written.
    pub fn keyword(self) -> &'static str {
        match self {
            FilterKind::All => "all",
            FilterKind::First => "first",
            FilterKind::Last => "last",
        }
    }
}

/// The kinds of path step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    /// A field name (written as an identifier or quoted).
    Field(String),
    /// `.all(cond)`, `.first(cond)`, `.last(cond)`; the condition is optional.
    Filter(FilterKind, Option<Box<Expr>>),
    /// `.at(i)`.
    At(Box<Expr>),
    /// `.entry('key')` of a map.
    Entry(String),
    /// `.firstEntryKey()` of a map.
    FirstEntryKey,
    /// `.keys()` of a map.
    Keys,
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`.
    Not,
    /// `-`.
    Neg,
}

/// Infix operators as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
}

impl BinaryOp {
    /// The operator as written.
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

    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

pub use crate::value::ops::TestOp;

/// Precedence levels shared by the parser's grammar and the printer.
pub mod prec {
    /// `not`.
    pub const NOT: u8 = 3;
    /// Comparisons and tests.
    pub const COMPARE: u8 = 4;
    /// Unary minus.
    pub const UNARY: u8 = 7;
    /// Literals, references, calls, brackets.
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
