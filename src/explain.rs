//! Why an expression has its value: the expression as a tree with the
//! value of every sub-expression (`eval --explain`, and the `why` of a
//! journey's decisions), so an author sees which leaf was null, which
//! comparison failed, which side of `and` was never looked at.

use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::{Catalog, Compiler, Context, Diagnostics, Span};
use serde_json::{json, Value as Json};

/// One sub-expression and what it evaluated to.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Its source text.
    pub text: String,
    /// Where it is in the whole expression.
    pub span: Span,
    /// Its value (as shown, and as JSON), or the evaluation error's message.
    pub value: Result<(String, Json), String>,
    /// `and`/`or` stopped before this operand: its value is shown but was
    /// not used.
    pub skipped: bool,
    /// Its sub-expressions worth a line (literals are left out).
    pub children: Vec<Explanation>,
}

/// Explains `src` in `ctx`: every sub-expression evaluated on its own.
/// Fails with the compile diagnostics if `src` does not compile.
pub fn explain(
    src: &str,
    catalog: &Catalog,
    ctx: &Context<'_>,
) -> Result<Explanation, Diagnostics> {
    let ast = crate::parse(src)?;
    Compiler::new(catalog).compile(src)?;
    Ok(build(&ast, src, catalog, ctx, 0))
}

/// Sub-expressions worth a line: everything but literals. Field references
/// are leaves (their filter conditions read the element being filtered and
/// cannot be evaluated on their own).
fn children(e: &Expr) -> Vec<&Expr> {
    let all: Vec<&Expr> = match &e.kind {
        ExprKind::List(items) => items.iter().collect(),
        ExprKind::Call(call) => call.args.iter().collect(),
        ExprKind::Unary(_, x) | ExprKind::Test(_, x) => vec![x],
        ExprKind::Binary(_, l, r) => vec![l, r],
        ExprKind::If(parts) => parts.iter().collect(),
        _ => Vec::new(),
    };
    all.into_iter()
        .filter(|c| {
            !matches!(
                c.kind,
                ExprKind::Null
                    | ExprKind::Bool(_)
                    | ExprKind::Integer(_)
                    | ExprKind::Decimal(_)
                    | ExprKind::String(_)
            )
        })
        .collect()
}

fn evaluate(src: &str, catalog: &Catalog, ctx: &Context<'_>) -> Result<(String, Json), String> {
    let program = Compiler::new(catalog)
        .compile(src)
        .map_err(|d| d.first().message.clone())?;
    let value = program.eval(ctx).map_err(|e| e.message)?;
    Ok((value.display_quoted(), value.to_json()))
}

fn build(e: &Expr, src: &str, catalog: &Catalog, ctx: &Context<'_>, depth: usize) -> Explanation {
    let text = e.span.text(src).to_string();
    let value = evaluate(&text, catalog, ctx);
    let mut kids: Vec<Explanation> = if depth < crate::MAX_DEPTH {
        children(e)
            .into_iter()
            .map(|c| build(c, src, catalog, ctx, depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    // `false and x` / `true or x`: x was not evaluated.
    if let ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), l, _) = &e.kind {
        let left = evaluate(l.span.text(src), catalog, ctx);
        let stops = match left {
            Ok((_, Json::Bool(b))) => b == (*op == BinaryOp::Or),
            Ok((_, Json::Null)) => *op == BinaryOp::And,
            _ => false,
        };
        if stops {
            if let Some(last) = kids.last_mut() {
                last.skipped = true;
            }
        }
    }
    Explanation {
        text,
        span: e.span,
        value,
        skipped: false,
        children: kids,
    }
}

impl Explanation {
    /// Whether the whole expression failed to evaluate.
    pub fn failed(&self) -> bool {
        self.value.is_err()
    }

    /// The tree as JSON: `text`, `span`, `value` or `error`, `evaluated:
    /// false` for a skipped operand, and `children`.
    pub fn to_json(&self) -> Json {
        let mut v = json!({
            "text": self.text,
            "span": [self.span.start, self.span.end],
        });
        match &self.value {
            Ok((_, value)) => v["value"] = value.clone(),
            Err(e) => v["error"] = json!(e),
        }
        if self.skipped {
            v["evaluated"] = json!(false);
        }
        if !self.children.is_empty() {
            v["children"] = Json::Array(self.children.iter().map(Self::to_json).collect());
        }
        v
    }

    /// The tree as indented lines: `sub-expression  →  value`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(0, &mut out);
        out
    }

    fn write_text(&self, indent: usize, out: &mut String) {
        let one_line = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let value = match &self.value {
            Ok((shown, Json::Null))
                if self.text.starts_with("@{")
                    || self.text.starts_with("#{")
                    || self.text.starts_with("@action{") =>
            {
                format!("{shown}   (no such data)")
            }
            Ok((shown, _)) if shown.chars().count() > 100 => {
                format!("{}…", shown.chars().take(100).collect::<String>())
            }
            Ok((shown, _)) => shown.clone(),
            Err(e) => format!("error: {e}"),
        };
        let skipped = if self.skipped {
            "   (not evaluated: decided by the left side)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:indent$}{one_line}  →  {value}{skipped}\n",
            "",
            indent = indent * 2
        ));
        for c in &self.children {
            c.write_text(indent + 1, out);
        }
    }
}
