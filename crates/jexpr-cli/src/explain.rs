//! `jexpr eval --explain`: the expression as a tree with the value of every
//! sub-expression, so an author sees why a condition is false — which leaf
//! was null, which comparison failed, which side `and` never looked at.

use jexpr::ast::{BinaryOp, Expr, ExprKind};
use jexpr::{Catalog, Compiler, Context};
use serde_json::{json, Value as Json};
use std::process::ExitCode;

/// One sub-expression and what it evaluated to.
struct Node {
    text: String,
    span: jexpr::Span,
    value: Result<(String, Json), String>,
    /// `and`/`or` stopped before this operand: its value is shown but was
    /// not used.
    skipped: bool,
    children: Vec<Node>,
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

fn build(e: &Expr, src: &str, catalog: &Catalog, ctx: &Context<'_>, depth: usize) -> Node {
    let text = e.span.text(src).to_string();
    let value = evaluate(&text, catalog, ctx);
    let mut kids: Vec<Node> = if depth < jexpr::MAX_DEPTH {
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
    Node {
        text,
        span: e.span,
        value,
        skipped: false,
        children: kids,
    }
}

fn write_text(node: &Node, indent: usize, out: &mut String) {
    let one_line = node.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let value = match &node.value {
        Ok((shown, Json::Null)) if node.text.starts_with("@{") || node.text.starts_with("#{") => {
            format!("{shown}   (no such data)")
        }
        Ok((shown, _)) if shown.chars().count() > 100 => {
            format!("{}…", shown.chars().take(100).collect::<String>())
        }
        Ok((shown, _)) => shown.clone(),
        Err(e) => format!("error: {e}"),
    };
    let skipped = if node.skipped {
        "   (not evaluated: decided by the left side)"
    } else {
        ""
    };
    out.push_str(&format!(
        "{:indent$}{one_line}  →  {value}{skipped}\n",
        "",
        indent = indent * 2
    ));
    for c in &node.children {
        write_text(c, indent + 1, out);
    }
}

fn to_json(node: &Node) -> Json {
    let mut v = json!({
        "text": node.text,
        "span": [node.span.start, node.span.end],
    });
    match &node.value {
        Ok((_, value)) => v["value"] = value.clone(),
        Err(e) => v["error"] = json!(e),
    }
    if node.skipped {
        v["evaluated"] = json!(false);
    }
    if !node.children.is_empty() {
        v["children"] = Json::Array(node.children.iter().map(to_json).collect());
    }
    v
}

/// Prints the tree; the exit code is the whole expression's (3 if it failed).
pub fn run(
    format: crate::cli::Format,
    src: &str,
    catalog: &Catalog,
    ctx: &Context<'_>,
) -> ExitCode {
    let ast = match jexpr::parse(src) {
        Ok(ast) => ast,
        Err(d) => {
            return crate::commands::expression::report_compile_errors(
                format,
                "expression",
                src,
                &d,
            )
        }
    };
    if let Err(d) = Compiler::new(catalog).compile(src) {
        return crate::commands::expression::report_compile_errors(format, "expression", src, &d);
    }
    let root = build(&ast, src, catalog, ctx, 0);
    let failed = root.value.is_err();
    match format {
        crate::cli::Format::Json => outln!("{}", json!({ "explain": to_json(&root) })),
        crate::cli::Format::Text => {
            let mut out = String::new();
            write_text(&root, 0, &mut out);
            out!("{out}");
        }
    }
    if failed {
        ExitCode::from(crate::cli::EXIT_EVAL)
    } else {
        ExitCode::SUCCESS
    }
}
