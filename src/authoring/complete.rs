//! Tab completion: what may be typed at the cursor, from the catalog (or the
//! types inferred from sample data).
//!
//! After `@{` event names; after `#{` data sources; after `@action{` actions; after a `.` in a path the
//! fields there (and collection or map steps); after `currentEventField.` the
//! fields of the element being filtered; elsewhere functions and keywords.

use crate::builtins;
use crate::catalog::Catalog;
use crate::checker::JOURNEY_PROPERTIES;
/// Filter elements are named like keywords; they complete with them.
const CURRENT: &[&str] = &["currentEventField", "currentDataPackField"];

use crate::syntax::lexer::{open_brackets, Lexer, TokKind};
use crate::syntax::KEYWORDS;
use crate::types::Type;

/// Candidates for the word ending at byte `pos` of `line`: where the word
/// starts, and the full texts that may replace it (sorted, deduplicated).
pub fn complete(catalog: &Catalog, line: &str, pos: usize) -> (usize, Vec<String>) {
    let pos = (0..=pos.min(line.len()))
        .rev()
        .find(|p| line.is_char_boundary(*p))
        .unwrap_or(0);
    let before = &line[..pos];
    // Inside a string literal only audience names complete (the argument
    // of `inAudience("`/`inSegment("`); keywords there would be nonsense.
    if let Some(quote) = open_string(before) {
        let typed = &before[quote + 1..];
        let call = before[..quote].trim_end();
        let audience_call = call
            .strip_suffix('(')
            .map(str::trim_end)
            .is_some_and(|c| c.ends_with("inAudience") || c.ends_with("inSegment"));
        if !audience_call {
            return (pos, Vec::new());
        }
        // A chosen name closes the string, and the call unless it is
        // closed already.
        let q = &before[quote..quote + 1];
        let rest = &line[pos..];
        let close = if rest.starts_with(q) {
            String::new()
        } else if rest.trim_start().starts_with(')') {
            q.to_string()
        } else {
            format!("{q})")
        };
        let names = catalog.audiences.clone().unwrap_or_default();
        let names = filter(names.into_iter(), typed);
        return (
            quote + 1,
            names.into_iter().map(|n| format!("{n}{close}")).collect(),
        );
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == ':')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = before[start..].trim_start_matches(':');
    let start = pos - word.len();
    let head = before[..start].trim_end();
    let candidates: Vec<String> = if head.ends_with("@action{") {
        catalog.actions.keys().cloned().collect()
    } else if head.ends_with("@{") {
        catalog
            .events
            .keys()
            .cloned()
            .chain(std::iter::once("journey".to_string()))
            .collect()
    } else if head.ends_with("#{") {
        catalog.data_sources.keys().cloned().collect()
    } else if let Some(path) = head.strip_suffix('.') {
        // Field names that are not identifiers are written quoted.
        path_candidates(catalog, line, path)
            .into_iter()
            .map(|n| quoted_step(&n))
            .collect()
    } else {
        builtins::all()
            .map(|b| b.name.to_string())
            .chain(KEYWORDS.iter().chain(CURRENT).map(|k| k.to_string()))
            .collect()
    };
    (start, filter(candidates.into_iter(), word))
}

/// The byte offset of the quote that opens a string still open at the end
/// of `text`, if one is.
fn open_string(text: &str) -> Option<usize> {
    Lexer::new(text).last().and_then(|t| match t.kind {
        TokKind::Str { terminated: false } => Some(t.span.start as usize),
        _ => None,
    })
}

/// A completion after `.`: a field name as a path step is written (quoted
/// when not an identifier), a step such as `all(` as it is.
fn quoted_step(candidate: &str) -> String {
    if candidate.ends_with(['(', ')', '\'']) {
        candidate.to_string()
    } else {
        crate::syntax::printer::field_step(candidate)
    }
}

pub(crate) fn filter(candidates: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = candidates.filter(|c| c.starts_with(prefix)).collect();
    out.sort();
    out.dedup();
    out
}

/// Names that may follow `path.` (the text before the dot).
fn path_candidates(catalog: &Catalog, line: &str, path: &str) -> Vec<String> {
    let Some(ty) = type_before(catalog, line, path.len()) else {
        // `#{Source.` (field groups) and `@{journey.` have no type of their own.
        return group_or_journey(catalog, line, path);
    };
    fields_and_steps(&ty)
}

fn group_or_journey(catalog: &Catalog, line: &str, path: &str) -> Vec<String> {
    let Some(open) = open_brackets(line, path.len()).pop() else {
        return Vec::new();
    };
    let opener = open.text(line);
    let steps = split_steps(&line[open.span.end as usize..path.len()]);
    match (opener, steps.as_slice()) {
        ("@{", [root]) if root == "journey" => JOURNEY_PROPERTIES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect(),
        ("#{", [source]) => catalog
            .data_sources
            .get(source)
            .map(|g| g.keys().cloned().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn fields_and_steps(ty: &Type) -> Vec<String> {
    match ty {
        Type::Object(fields) => fields.keys().cloned().collect(),
        Type::List(elem) => {
            let mut out = vec![
                "all(".to_string(),
                "first(".to_string(),
                "last(".to_string(),
                "at(".to_string(),
            ];
            if let Type::Object(fields) = &**elem {
                out.extend(fields.keys().cloned());
            }
            out
        }
        Type::Map(_) => vec![
            "entry('".to_string(),
            "firstEntryKey()".to_string(),
            "keys()".to_string(),
        ],
        _ => Vec::new(),
    }
}

/// The type of the path that ends at byte `end` of `line` (just before a `.`).
fn type_before(catalog: &Catalog, line: &str, end: usize) -> Option<Type> {
    let brackets = open_brackets(line, end);
    // Completion recurses once per enclosing filter: bound it like the parser.
    if brackets.len() > crate::syntax::MAX_DEPTH {
        return None;
    }
    let open = brackets
        .iter()
        .rposition(|t| matches!(t.text(line), "@{" | "#{" | "@action{" | "("))?;
    let opener = brackets[open];
    let inside = &line[opener.span.end as usize..end];
    match opener.text(line) {
        "@{" | "#{" | "@action{" => {
            root_path_type(catalog, opener.text(line), &split_steps(inside))
        }
        _ => {
            // Inside a filter: `currentEventField.path` is relative to the element.
            let path = inside.trim_start();
            let rest = path
                .strip_prefix("currentEventField")
                .or_else(|| path.strip_prefix("currentDataPackField"))?;
            let elem = element_of_filter(catalog, line, &brackets[..=open])?;
            walk(elem, &split_steps(rest.trim_start_matches('.')))
        }
    }
}

/// The element type of the innermost filter among `brackets` (a function
/// call's `(` in between, as in `count(currentEventField.…`, is skipped).
fn element_of_filter(
    catalog: &Catalog,
    line: &str,
    brackets: &[crate::syntax::lexer::Token],
) -> Option<Type> {
    let (index, collection_end) = brackets.iter().enumerate().rev().find_map(|(i, paren)| {
        let before = line[..paren.span.start as usize].trim_end();
        let head = before
            .strip_suffix("all")
            .or_else(|| before.strip_suffix("first"))
            .or_else(|| before.strip_suffix("last"))?;
        Some((i, head.trim_end().strip_suffix('.')?.len()))
    })?;
    let outer = &brackets[..index];
    let collection = type_before(catalog, line, collection_end).or_else(|| {
        // The collection path starts at the reference's own `@{`/`#{`.
        let opener = outer
            .iter()
            .rev()
            .find(|t| matches!(t.text(line), "@{" | "#{" | "@action{"))?;
        let inside = &line[opener.span.end as usize..collection_end];
        root_path_type(catalog, opener.text(line), &split_steps(inside))
    })?;
    match collection {
        Type::List(elem) => Some((*elem).clone()),
        _ => None,
    }
}

fn root_path_type(catalog: &Catalog, opener: &str, steps: &[String]) -> Option<Type> {
    let (root, rest) = steps.split_first()?;
    if opener == "@{" {
        walk(catalog.events.get(root)?.clone(), rest)
    } else if opener == "@action{" {
        walk(catalog.actions.get(root)?.clone(), rest)
    } else {
        let (group, rest) = rest.split_first()?;
        walk(catalog.data_sources.get(root)?.get(group)?.clone(), rest)
    }
}

/// Follows path steps through a type, as the checker does.
fn walk(mut ty: Type, steps: &[String]) -> Option<Type> {
    for step in steps {
        let name = step.split('(').next().unwrap_or("").trim();
        ty = match (name, step.contains('('), ty) {
            ("all", true, t @ Type::List(_)) => t,
            ("first" | "last" | "at", true, Type::List(e)) => (*e).clone(),
            ("entry", true, Type::Map(v)) => (*v).clone(),
            // Inferred from data, a map is an object: the entry is its field.
            ("entry", true, Type::Object(fields)) => {
                let key = step
                    .split_once('(')
                    .map_or("", |(_, rest)| rest.trim_end_matches(')'));
                fields.get(unquote(key.trim()))?.clone()
            }
            (_, false, Type::Object(fields)) => fields.get(unquote(name))?.clone(),
            (_, false, Type::List(e)) => match &*e {
                Type::Object(fields) => match fields.get(unquote(name))?.clone() {
                    t @ Type::List(_) => t,
                    t => Type::list(t),
                },
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(ty)
}

fn unquote(name: &str) -> &str {
    name.trim_matches(|c| c == '\'' || c == '"')
}

/// Splits path text on `.` outside brackets and quotes: `a.all(x.y).b` → [a, all(x.y), b].
fn split_steps(text: &str) -> Vec<String> {
    let mut steps = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for tok in Lexer::new(text) {
        let t = tok.text(text);
        match t {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth = depth.saturating_sub(1),
            "." if depth == 0 => {
                steps.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if matches!(tok.kind, TokKind::Str { .. }) && depth == 0 {
            current.push_str(unquote(t));
        } else {
            current.push_str(t);
        }
    }
    if !current.is_empty() {
        steps.push(current);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let doc = serde_json::json!({
            "events": {
                "OrderEvent": {"email": "a@b.c", "items": [{"sku": "A", "price": 1.5, "options": [{"name": "gift"}]}],
                               "identityMap": {"Email": [{"id": "x"}]}},
                "LobbyBeacon": {"timestamp": "2024-05-01T10:00:00Z"}
            },
            "dataSources": {"ExperiencePlatform": {"ProfileFieldGroup": {"person": {"age": 3}}}},
            "actions": {"loyalty": {"points": 3, "status": "gold"}, "email": {}}
        });
        Catalog::infer(&doc)
    }

    fn at_end(line: &str) -> Vec<String> {
        complete(&catalog(), line, line.len()).1
    }

    #[test]
    fn inside_strings_only_audience_names() {
        assert_eq!(
            at_end(r#"startWith(@{OrderEvent.email}, "an"#),
            Vec::<String>::new()
        );
        assert_eq!(
            at_end(r#"inAudience(""#),
            Vec::<String>::new(),
            "no audiences listed"
        );
        let mut c = catalog();
        c.audiences = Some(vec!["gold members".into(), "lapsed customers".into()]);
        // A chosen name closes the string and the call (issue 26).
        let (start, names) = complete(&c, r#"inAudience("la"#, 14);
        assert_eq!(
            (start, names),
            (12, vec!["lapsed customers\")".to_string()])
        );
        let line = r#"inSegment( 'g"#;
        assert_eq!(complete(&c, line, line.len()).1, ["gold members')"]);
        // What is already written after the cursor is not repeated.
        let line = r#"inAudience("g") and true"#;
        assert_eq!(complete(&c, line, 13).1, ["gold members"]);
        let line = r#"inAudience("g)"#;
        assert_eq!(complete(&c, line, 13).1, ["gold members\""]);
    }

    #[test]
    fn names_that_are_not_identifiers_complete_quoted() {
        let doc = serde_json::json!({"events": {"Purchase": {"@id": "x", "total": 1, "3h": 2}}});
        let c = Catalog::infer(&doc);
        let line = "@{Purchase.";
        assert_eq!(complete(&c, line, line.len()).1, ["'3h'", "'@id'", "total"]);
    }

    #[test]
    fn functions_and_keywords() {
        assert_eq!(at_end("startW"), ["startWith", "startWithIgnoreCase"]);
        assert_eq!(at_end("@{OrderEvent.email} an"), ["and"]);
        assert!(at_end("1 + curr").contains(&"currentEventField".to_string()));
        assert_eq!(complete(&catalog(), "lengt", 5).0, 0);
    }

    #[test]
    fn events_after_at_brace() {
        assert_eq!(at_end("@{"), ["LobbyBeacon", "OrderEvent", "journey"]);
        assert_eq!(at_end("@action{"), ["email", "loyalty"]);
        assert_eq!(at_end("@action{lo"), ["loyalty"]);
        assert_eq!(
            at_end("@action{loyalty."),
            ["jo_status_code", "points", "status"]
        );
        assert_eq!(at_end("@action{email.jo"), ["jo_status_code"]);
        assert_eq!(at_end("count(@{Ord"), ["OrderEvent"]);
        assert_eq!(complete(&catalog(), "count(@{Ord", 11).0, 8);
    }

    #[test]
    fn data_sources_and_field_groups() {
        assert_eq!(at_end("#{"), ["ExperiencePlatform"]);
        assert_eq!(at_end("#{ExperiencePlatform."), ["ProfileFieldGroup"]);
        assert_eq!(
            at_end("#{ExperiencePlatform.ProfileFieldGroup.person."),
            ["age"]
        );
        assert_eq!(at_end("if (#{ExperiencePlatform."), ["ProfileFieldGroup"]);
        assert_eq!(
            at_end("if (#{ExperiencePlatform.ProfileFieldGroup.person.a"),
            ["age"]
        );
    }

    #[test]
    fn fields_after_a_dot() {
        assert_eq!(at_end("@{OrderEvent."), ["email", "identityMap", "items"]);
        assert_eq!(at_end("@{OrderEvent.it"), ["items"]);
        assert_eq!(
            at_end("@{OrderEvent.items."),
            ["all(", "at(", "first(", "last(", "options", "price", "sku"]
        );
        assert_eq!(
            at_end("@{OrderEvent.items.first()."),
            ["options", "price", "sku"]
        );
        assert_eq!(
            at_end("@{OrderEvent.identityMap.entry('Email').first()."),
            ["id"]
        );
        assert_eq!(at_end("@{journey.profile"), ["profileId"]);
    }

    #[test]
    fn current_event_field_completes_the_element() {
        assert_eq!(
            at_end("@{OrderEvent.items.all(currentEventField."),
            ["options", "price", "sku"]
        );
        assert_eq!(
            at_end("@{OrderEvent.items.all(currentEventField.pr"),
            ["price"]
        );
        assert_eq!(
            at_end("@{OrderEvent.items.all(count(currentEventField.options.all(currentEventField."),
            ["name"]
        );
    }

    #[test]
    fn deeply_nested_lines_do_not_overflow() {
        let line = format!(
            "@{{OrderEvent.items{}",
            ".all(currentEventField.options".repeat(20_000)
        ) + ".";
        assert!(at_end(&line).is_empty());
    }
}
