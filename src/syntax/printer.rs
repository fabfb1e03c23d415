//! AST → canonical source text, and a compact S-expression dump.
//!
//! The printer adds exactly the parentheses precedence needs, so
//! `parse(print(ast))` gives back `ast` (checked on every test input).

use super::ast::*;
use std::fmt::Write;

/// Canonical source text of `expr`.
pub fn print(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        ExprKind::Decimal(d) => out.push_str(&decimal_text(*d)),
        ExprKind::String(s) => write_string(out, s, '"'),
        ExprKind::Date(s) => {
            out.push_str("date(");
            write_string(out, s, '"');
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            write_comma_separated(out, items);
            out.push(']');
        }
        ExprKind::Field(field) => write_field(out, field),
        ExprKind::Current(current) => {
            out.push_str(current.kind.keyword());
            write_steps(out, &current.path);
        }
        ExprKind::Call(call) => {
            out.push_str(&call.name.text);
            out.push('(');
            write_comma_separated(out, &call.args);
            out.push(')');
        }
        ExprKind::Unary(UnaryOp::Not, operand) => {
            out.push_str("not ");
            write_operand(out, operand, operand.precedence() < prec::NOT);
        }
        ExprKind::Unary(UnaryOp::Neg, operand) => {
            // A number right after `-` would read as a negative literal
            // (`-0` is the literal 0, not the negation of 0): `-(0)`. A
            // negation of a negation gets a space, not brackets (`--` would
            // read as one token), so printing never nests deeper than the
            // source did: `- -x`, `- -5`.
            if matches!(operand.kind, ExprKind::Unary(UnaryOp::Neg, _)) {
                out.push_str("- ");
                write_expr(out, operand);
            } else {
                out.push('-');
                let wrap = operand.precedence() < prec::UNARY
                    || matches!(operand.kind, ExprKind::Integer(_) | ExprKind::Decimal(_));
                write_operand(out, operand, wrap);
            }
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let p = op.precedence();
            // Comparisons do not chain, so neither side may be a comparison.
            let (wrap_l, wrap_r) = if op.is_comparison() {
                (lhs.precedence() <= p, rhs.precedence() <= p)
            } else {
                (lhs.precedence() < p, rhs.precedence() <= p)
            };
            write_operand(out, lhs, wrap_l);
            let _ = write!(out, " {} ", op.symbol());
            write_operand(out, rhs, wrap_r);
        }
        ExprKind::Test(op, operand) => {
            write_operand(out, operand, operand.precedence() <= prec::COMPARE);
            out.push(' ');
            out.push_str(op.text());
        }
        ExprKind::If(parts) => {
            let [c, t, e] = parts.as_ref();
            out.push_str("if (");
            write_expr(out, c);
            out.push_str(") then (");
            write_expr(out, t);
            out.push_str(") else (");
            write_expr(out, e);
            out.push(')');
        }
    }
}

fn write_operand(out: &mut String, expr: &Expr, wrap: bool) {
    if wrap {
        out.push('(');
    }
    write_expr(out, expr);
    if wrap {
        out.push(')');
    }
}

fn write_comma_separated(out: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, item);
    }
}

fn write_field(out: &mut String, field: &FieldRef) {
    out.push_str(match field.origin {
        Origin::Event => "@{",
        Origin::DataSource => "#{",
        Origin::Action => "@action{",
    });
    let mut steps = field.path.iter();
    if let Some(first) = steps.next() {
        write_step(out, first);
    }
    for step in steps {
        out.push('.');
        write_step(out, step);
    }
    if let Some(default) = &field.default {
        out.push_str(", defaultValue: ");
        write_operand(out, default, matches!(default.kind, ExprKind::Call(_)));
    }
    if let Some(params) = &field.params {
        out.push_str(", params: {");
        for (i, (name, value)) in params.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}: ", name.text);
            write_expr(out, value);
        }
        out.push('}');
    }
    out.push('}');
}

fn write_steps(out: &mut String, steps: &[Step]) {
    for step in steps {
        out.push('.');
        write_step(out, step);
    }
}

/// A field name as a path step is written: bare when it is an identifier,
/// else quoted (`'@id'`, `'3h'`) — for suggestions and completion.
pub fn field_step(name: &str) -> String {
    let mut out = String::new();
    write_step(
        &mut out,
        &Step {
            kind: StepKind::Field(name.to_string()),
            span: crate::span::Span::default(),
        },
    );
    out
}

fn write_step(out: &mut String, step: &Step) {
    match &step.kind {
        StepKind::Field(name) if is_path_ident(name) => out.push_str(name),
        StepKind::Field(name) => write_string(out, name, '\''),
        StepKind::Filter(kind, cond) => {
            out.push_str(kind.keyword());
            out.push('(');
            if let Some(cond) = cond {
                write_expr(out, cond);
            }
            out.push(')');
        }
        StepKind::At(index) => {
            out.push_str("at(");
            write_expr(out, index);
            out.push(')');
        }
        StepKind::Entry(key) => {
            out.push_str("entry(");
            write_string(out, key, '\'');
            out.push(')');
        }
        StepKind::FirstEntryKey => out.push_str("firstEntryKey()"),
        StepKind::Keys => out.push_str("keys()"),
    }
}

/// Can `name` be written bare in a path (grammar rule `path_ident`)?
pub fn is_path_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn write_string(out: &mut String, s: &str, quote: char) {
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

pub use crate::value::decimal_text;

/// A compact S-expression of the tree, without spans: what the snapshot
/// tests show, and what the round-trip property compares.
pub fn sexpr(expr: &Expr) -> String {
    let mut out = String::new();
    write_sexpr(&mut out, expr);
    out
}

fn write_sexpr(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Integer(_)
        | ExprKind::Decimal(_)
        | ExprKind::String(_)
        | ExprKind::Date(_) => write_expr(out, expr),
        ExprKind::List(items) => {
            out.push_str("(list");
            for item in items {
                out.push(' ');
                write_sexpr(out, item);
            }
            out.push(')');
        }
        ExprKind::Field(field) => {
            out.push_str(match field.origin {
                Origin::Event => "(event",
                Origin::DataSource => "(source",
                Origin::Action => "(action",
            });
            write_sexpr_steps(out, &field.path);
            if let Some(default) = &field.default {
                out.push_str(" :default ");
                write_sexpr(out, default);
            }
            if let Some(params) = &field.params {
                out.push_str(" :params (");
                for (i, (name, value)) in params.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let _ = write!(out, "{}=", name.text);
                    write_sexpr(out, value);
                }
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Current(current) => {
            let _ = write!(out, "({}", current.kind.keyword());
            write_sexpr_steps(out, &current.path);
            out.push(')');
        }
        ExprKind::Call(call) => {
            let _ = write!(out, "(call {}", call.name.text);
            for arg in &call.args {
                out.push(' ');
                write_sexpr(out, arg);
            }
            out.push(')');
        }
        ExprKind::Unary(op, operand) => {
            out.push_str(match op {
                UnaryOp::Not => "(not ",
                UnaryOp::Neg => "(neg ",
            });
            write_sexpr(out, operand);
            out.push(')');
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let _ = write!(out, "({} ", op.symbol());
            write_sexpr(out, lhs);
            out.push(' ');
            write_sexpr(out, rhs);
            out.push(')');
        }
        ExprKind::Test(op, operand) => {
            let _ = write!(out, "({} ", op.text());
            write_sexpr(out, operand);
            out.push(')');
        }
        ExprKind::If(parts) => {
            out.push_str("(if");
            for part in parts.iter() {
                out.push(' ');
                write_sexpr(out, part);
            }
            out.push(')');
        }
    }
}

fn write_sexpr_steps(out: &mut String, steps: &[Step]) {
    for step in steps {
        out.push(' ');
        match &step.kind {
            StepKind::Field(_) | StepKind::Entry(_) | StepKind::FirstEntryKey | StepKind::Keys => {
                write_step(out, step)
            }
            StepKind::Filter(kind, cond) => {
                let _ = write!(out, "({}", kind.keyword());
                if let Some(cond) = cond {
                    out.push(' ');
                    write_sexpr(out, cond);
                }
                out.push(')');
            }
            StepKind::At(index) => {
                out.push_str("(at ");
                write_sexpr(out, index);
                out.push(')');
            }
        }
    }
}
