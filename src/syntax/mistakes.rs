//! Mistakes journey authors make often, recognised in text that did not
//! parse, so the message says what to write instead of where parsing
//! stopped: `[0]` indexing, `xdm:` prefixes, path steps after the closing
//! brace, and `x in [...]`.

use super::lexer::{closer_of, Lexer, TokKind, Token};
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// The first recognised mistake in `src`, if any.
pub(super) fn recognise(src: &str) -> Option<Diagnostic> {
    let toks: Vec<Token> = Lexer::new(src).collect();
    let text = |i: usize| toks.get(i).map_or("", |t| t.text(src));
    // Open brackets: (token index, is a field reference's brace).
    let mut open: Vec<usize> = Vec::new();
    for i in 0..toks.len() {
        let t = text(i);
        let in_reference = open
            .last()
            .is_some_and(|&o| matches!(text(o), "@{" | "#{" | "@action{"));
        if in_reference && t == "[" {
            return Some(indexing(src, &toks, i));
        }
        if in_reference && toks[i].kind == TokKind::Unknown && i > 0 && text(i - 1) == "." {
            return Some(unquoted_name(src, &toks, i));
        }
        if in_reference && t == ":" && i > 0 && toks[i - 1].kind == TokKind::Word {
            let prefix = text(i - 1);
            let before = i.checked_sub(2).map_or("", text);
            if !matches!(prefix, "defaultValue" | "params") && before == "." {
                return Some(namespaced(src, &toks, i));
            }
        }
        if t == "}" {
            if let Some(o) = open.pop() {
                if matches!(text(o), "@{" | "#{" | "@action{") && text(i + 1) == "." {
                    return Some(after_brace(src, &toks, o, i));
                }
            }
            continue;
        }
        if matches!(t, ")" | "]") {
            open.pop();
            continue;
        }
        if closer_of(t).is_some() {
            open.push(i);
            continue;
        }
        if t == "in" && i > 0 && text(i + 1) == "[" && ends_operand(src, toks[i - 1]) {
            return Some(infix_in(src, &toks, i));
        }
    }
    None
}

fn ends_operand(src: &str, t: Token) -> bool {
    match t.kind {
        TokKind::Number | TokKind::Str { .. } => true,
        TokKind::Word => !matches!(t.text(src), "and" | "or" | "not" | "if" | "then" | "else"),
        TokKind::Sym => matches!(t.text(src), ")" | "]" | "}"),
        TokKind::Unknown => false,
    }
}

/// The index of the token closing the bracket opened at `open`.
fn closing(src: &str, toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        let text = t.text(src);
        if closer_of(text).is_some() {
            depth += 1;
        } else if matches!(text, ")" | "]" | "}") {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

fn between(src: &str, a: Token, b: Token) -> &str {
    src.get(a.span.start as usize..b.span.end as usize)
        .unwrap_or("")
}

/// `@{E.items[0].sku}`: lists are indexed with the `at(…)` step.
fn indexing(src: &str, toks: &[Token], i: usize) -> Diagnostic {
    let end = closing(src, toks, i);
    let span = match end {
        Some(e) => Span::new(toks[i].span.start as usize, toks[e].span.end as usize),
        None => toks[i].span,
    };
    let index = match end {
        Some(e) if e > i + 1 => between(src, toks[i + 1], toks[e - 1]),
        _ => "0",
    };
    Diagnostic::new(
        "E0126",
        span,
        "a field reference indexes a list with `at(…)`, not `[…]`",
    )
    .with_label("not a path step")
    .with_help(format!(
        "write `.at({index})` as a step: `items.at({index}).sku`"
    ))
}

/// `@{Purchase.@id}`: a name that is not an identifier is quoted.
fn unquoted_name(src: &str, toks: &[Token], i: usize) -> Diagnostic {
    let mut end = i;
    while let Some(t) = toks.get(end + 1) {
        if matches!(t.text(src), "." | "}" | "," | "(") || t.span.start != toks[end].span.end {
            break;
        }
        end += 1;
    }
    let span = Span::new(toks[i].span.start as usize, toks[end].span.end as usize);
    let name = span.text(src);
    Diagnostic::new(
        "E0122",
        span,
        format!("`{name}` must be quoted to be a field name"),
    )
    .with_label("a bare field name is letters, digits, `_` and `-`")
    .with_help(format!("write {}", super::printer::field_step(name)))
}

/// `@{E.xdm:timestamp}`: XDM names are used without their namespace prefix.
fn namespaced(src: &str, toks: &[Token], colon: usize) -> Diagnostic {
    let prefix = toks[colon - 1];
    let name = toks.get(colon + 1).filter(|t| t.kind == TokKind::Word);
    let span = Span::new(
        prefix.span.start as usize,
        name.map_or(toks[colon].span.end, |t| t.span.end) as usize,
    );
    let written = span.text(src);
    let bare = name.map_or("", |t| t.text(src));
    Diagnostic::new(
        "E0127",
        span,
        format!("`{written}` is not a field name: a path step has no `:`"),
    )
    .with_label("a namespace prefix")
    .with_help(format!(
        "event and profile data name XDM fields without the `{}:` prefix: write `{bare}`; if the data really has the key `{written}`, quote it: {}",
        prefix.text(src),
        super::printer::field_step(written)
    ))
}

/// `@{E.items}.first().sku`: the whole path goes inside the braces.
fn after_brace(src: &str, toks: &[Token], open: usize, close: usize) -> Diagnostic {
    // The steps written after the brace: names, calls and dots.
    let mut last = close;
    let mut i = close + 1;
    while let Some(t) = toks.get(i) {
        let text = t.text(src);
        if text == "." || t.kind == TokKind::Word {
            last = i;
            i += 1;
        } else if text == "(" {
            match closing(src, toks, i) {
                Some(e) => {
                    last = e;
                    i = e + 1;
                }
                None => break,
            }
        } else {
            break;
        }
    }
    let steps = between(src, toks[close + 1], toks[last]);
    let inside = between(src, toks[open], toks[close]);
    let fixed = format!("{}{steps}}}", inside.trim_end_matches('}'));
    Diagnostic::new(
        "E0128",
        Span::new(
            toks[close + 1].span.start as usize,
            toks[last].span.end as usize,
        ),
        "path steps go inside the braces of a field reference",
    )
    .with_label("after the closing `}`")
    .with_note(toks[close].span, "the reference ends here")
    .with_help(format!("write `{fixed}`"))
}

/// `country in ["FR", "DE"]`: `in` is a function.
fn infix_in(src: &str, toks: &[Token], i: usize) -> Diagnostic {
    // The operand before `in`: back to the start of its reference or call.
    let mut start = i - 1;
    if matches!(toks[start].text(src), "}" | ")") {
        let mut depth = 0usize;
        for j in (0..i).rev() {
            let text = toks[j].text(src);
            if matches!(text, ")" | "]" | "}") {
                depth += 1;
            } else if closer_of(text).is_some() {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    start = j;
                    break;
                }
            }
        }
        if toks[start].text(src) == "(" && start > 0 && toks[start - 1].kind == TokKind::Word {
            start -= 1;
        }
    }
    let operand = between(src, toks[start], toks[i - 1]);
    let list = match closing(src, toks, i + 1) {
        Some(e) => between(src, toks[i + 1], toks[e]),
        None => "[…]",
    };
    Diagnostic::new("E0129", toks[i].span, "`in` is a function, not an operator")
        .with_label("`x in [...]` is not the language's syntax")
        .with_help(format!("write `in({operand}, {list})`"))
}
