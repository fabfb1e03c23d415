//! What the server knows of a document: its problems, what may be typed at
//! a place, what a word is, where a node is. Journey files (`*.json` with
//! `nodes`) are checked with their sibling journeys (jump targets) against
//! the nearest `catalog.json`; expression files (`*.jexpr`) against the same
//! catalog.

use crate::jsonctx::{string_at, Seg};
use crate::text;
use jexpr_journey::json::{locate, offset_in_string, value_span};
use jexpr_journey::{JourneyCatalog, Severity};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Diagnostic, DiagnosticSeverity, Hover,
    HoverContents, Location, MarkupContent, MarkupKind, NumberOrString, Position, Range, TextEdit,
    Uri,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The open documents and where catalogs come from.
#[derive(Default)]
pub struct Workspace {
    docs: HashMap<String, String>,
    /// A catalog given by the client (`initializationOptions.catalog`).
    pub catalog: Option<PathBuf>,
}

/// What kind of file a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Journey,
    Expression,
    Other,
}

fn kind(uri: &str, text: &str) -> Kind {
    if uri.ends_with(".jexpr") {
        Kind::Expression
    } else if uri.ends_with(".json") && text.contains("\"nodes\"") {
        Kind::Journey
    } else {
        Kind::Other
    }
}

/// The local path of a `file://` URI (percent-decoded).
pub fn path_of(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = rest.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

fn uri_of(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&s).ok()
}

impl Workspace {
    /// Opens or changes a document.
    pub fn set(&mut self, uri: &str, text: String) {
        self.docs.insert(uri.to_string(), text);
    }

    /// Closes a document.
    pub fn close(&mut self, uri: &str) {
        self.docs.remove(uri);
    }

    /// The nearest catalog: the client's, else `catalog.json` in the
    /// document's folder or the first folder above it that has one.
    fn catalog_for(&self, uri: &str) -> Result<JourneyCatalog, String> {
        let path = match &self.catalog {
            Some(p) => p.clone(),
            None => {
                let file = path_of(uri).ok_or("not a file: no catalog.json to look for")?;
                file.ancestors()
                    .skip(1)
                    .map(|d| d.join("catalog.json"))
                    .find(|c| c.is_file())
                    .ok_or("no catalog.json in this folder or above it: field types and names are not checked (docs/editors.md)")?
            }
        };
        JourneyCatalog::load(&path).map_err(|problems| {
            let first = problems
                .first()
                .map(|p| p.message.clone())
                .unwrap_or_default();
            format!("the catalog {} has problems: {first}", path.display())
        })
    }

    /// The document's text.
    pub fn text(&self, uri: &str) -> Option<&str> {
        self.docs.get(uri).map(String::as_str)
    }

    /// The journey files beside this one (jump targets): (name, text), the
    /// open documents' text when they are open.
    fn siblings(&self, uri: &str) -> Vec<(String, String, PathBuf)> {
        let Some(dir) = path_of(uri).and_then(|p| p.parent().map(Path::to_path_buf)) else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in entries.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.ends_with(".journey.json") {
                continue;
            }
            let open = uri_of(&p).and_then(|u| self.docs.get(u.as_str()).cloned());
            let text = open.or_else(|| std::fs::read_to_string(&p).ok());
            if let Some(text) = text {
                out.push((name, text, p));
            }
        }
        out.sort();
        out
    }

    /// The document's problems.
    pub fn diagnostics(&self, uri: &str) -> Vec<Diagnostic> {
        let Some(text) = self.text(uri) else {
            return Vec::new();
        };
        match kind(uri, text) {
            Kind::Journey => self.journey_diagnostics(uri, text),
            Kind::Expression => self.expression_diagnostics(uri, text),
            Kind::Other => Vec::new(),
        }
    }

    fn journey_diagnostics(&self, uri: &str, text: &str) -> Vec<Diagnostic> {
        let catalog = match self.catalog_for(uri) {
            Ok(c) => c,
            Err(why) => return vec![note(text, 0, 0, DiagnosticSeverity::WARNING, "J006", &why)],
        };
        let name = path_of(uri)
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "journey.json".into());
        let mut files = vec![(name.clone(), text.to_string())];
        files.extend(
            self.siblings(uri)
                .into_iter()
                .filter(|(n, _, _)| *n != name)
                .map(|(n, t, _)| (n, t)),
        );
        let (report, _) = jexpr_journey::check(&files, &catalog);
        report
            .problems
            .iter()
            .filter(|p| p.file == name)
            .map(|p| {
                let severity = match p.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                };
                let (start, end) = match (&p.expression, value_span(text, &p.pointer)) {
                    (Some((_, d)), Some((at, _))) => (
                        offset_in_string(text, at, d.span.start as usize).unwrap_or(at),
                        offset_in_string(text, at, d.span.end as usize).unwrap_or(at),
                    ),
                    (None, Some(span)) => span,
                    (_, None) => (0, 0),
                };
                let mut message = match &p.expression {
                    Some((_, d)) => d.message.clone(),
                    None => p.message.clone(),
                };
                let help = p
                    .help
                    .clone()
                    .or_else(|| p.expression.as_ref().and_then(|(_, d)| d.help.clone()));
                if let Some(help) = help {
                    message.push_str(&format!("\nhelp: {help}"));
                }
                note(text, start, end, severity, &p.code, &message)
            })
            .collect()
    }

    fn expression_diagnostics(&self, uri: &str, text: &str) -> Vec<Diagnostic> {
        let catalog = match self.catalog_for(uri) {
            Ok(c) => c.core,
            // Types are then inferred from nothing: names are not checked.
            Err(_) => jexpr::Catalog::default(),
        };
        match jexpr::check(text.trim_end(), &catalog) {
            Ok(_) => Vec::new(),
            Err(diags) => diags
                .iter()
                .map(|d| {
                    let mut message = d.message.clone();
                    if let Some(help) = &d.help {
                        message.push_str(&format!("\nhelp: {help}"));
                    }
                    let severity = match d.severity {
                        jexpr::Severity::Error => DiagnosticSeverity::ERROR,
                        jexpr::Severity::Warning => DiagnosticSeverity::WARNING,
                    };
                    note(
                        text,
                        d.span.start as usize,
                        d.span.end as usize,
                        severity,
                        d.code,
                        &message,
                    )
                })
                .collect(),
        }
    }

    /// What may be typed at `pos`.
    pub fn completion(&self, uri: &str, pos: Position) -> Vec<CompletionItem> {
        let Some(text) = self.text(uri) else {
            return Vec::new();
        };
        let at = text::offset(text, pos);
        let catalog = self.catalog_for(uri).ok();
        match kind(uri, text) {
            Kind::Expression => {
                let core = catalog.map(|c| c.core).unwrap_or_default();
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                let line = &text[line_start..line_end];
                let (start, words) = jexpr::authoring::complete(&core, line, at - line_start);
                edits(text, line_start + start, at, words, |w| w.to_string())
            }
            Kind::Journey => self.journey_completion(uri, text, at, catalog.as_ref()),
            Kind::Other => Vec::new(),
        }
    }

    fn journey_completion(
        &self,
        uri: &str,
        text: &str,
        at: usize,
        catalog: Option<&JourneyCatalog>,
    ) -> Vec<CompletionItem> {
        let Some(s) = string_at(text, at) else {
            return Vec::new();
        };
        if s.is_key {
            return Vec::new();
        }
        let typed_from = s.start + 1;
        let key = match s.path.last() {
            Some(Seg::Key(k)) => k.as_str(),
            _ => "",
        };
        let in_params = s.path.iter().any(|p| *p == Seg::Key("params".into()));
        let names: Vec<String> = match key {
            "next" | "onError" | "otherwise" | "onTimeout" | "start" => node_ids(text),
            "journey" if !in_params => self
                .siblings(uri)
                .into_iter()
                .filter_map(|(_, t, _)| journey_id(&t))
                .collect(),
            "event" if !in_params => catalog
                .map(|c| c.core.events.keys().cloned().collect())
                .unwrap_or_default(),
            "action" if !in_params => catalog
                .map(|c| c.actions.keys().cloned().collect())
                .unwrap_or_default(),
            "audience" if !in_params => catalog
                .and_then(|c| c.core.audiences.clone())
                .unwrap_or_default(),
            "when" | "until" => return expression_completion(text, s.start, at, catalog),
            _ if in_params => return expression_completion(text, s.start, at, catalog),
            _ => Vec::new(),
        };
        let typed = text.get(typed_from..at).unwrap_or("");
        let words: Vec<String> = names.into_iter().filter(|n| n.starts_with(typed)).collect();
        edits(text, typed_from, at, words, escape)
    }

    /// What the word at `pos` is: a function's signatures and docs, or the
    /// type of the expression around it.
    pub fn hover(&self, uri: &str, pos: Position) -> Option<Hover> {
        let text = self.text(uri)?;
        let at = text::offset(text, pos);
        let (source, cursor) = match kind(uri, text) {
            Kind::Expression => (text.trim_end().to_string(), at),
            Kind::Journey => {
                let s = string_at(text, at)?;
                let raw_end = value_span_at(text, s.start)?;
                let source: String = serde_json::from_str(text.get(s.start..raw_end)?).ok()?;
                // The cursor's place in the decoded text, near enough.
                let cursor = text.get(s.start + 1..at).map_or(0, |r| {
                    serde_json::from_str::<String>(&format!("\"{r}\"")).map_or(r.len(), |d| d.len())
                });
                (source, cursor)
            }
            Kind::Other => return None,
        };
        let word = word_at(&source, cursor);
        if let Some(f) = jexpr::authoring::function(&word) {
            let value = format!(
                "```\n{}\n```\n\n{}\n\n*{}*",
                f.signatures.join("\n"),
                f.doc,
                f.nulls
            );
            return Some(markdown(value));
        }
        let catalog = self.catalog_for(uri).ok()?;
        let checked = jexpr::check(&source, &catalog.core).ok()?;
        Some(markdown(format!("`{}`: `{}`", source.trim(), checked.ty)))
    }

    /// Where the node (or journey) named at `pos` is defined.
    pub fn definition(&self, uri: &str, pos: Position) -> Option<Location> {
        let text = self.text(uri)?;
        if kind(uri, text) != Kind::Journey {
            return None;
        }
        let at = text::offset(text, pos);
        let s = string_at(text, at)?;
        let end = value_span_at(text, s.start)?;
        let name: String = serde_json::from_str(text.get(s.start..end)?).ok()?;
        let key = match s.path.last() {
            Some(Seg::Key(k)) => k.as_str(),
            _ => "",
        };
        match key {
            "next" | "onError" | "otherwise" | "onTimeout" | "start" => {
                let pointer = format!("/nodes/{}", name.replace('~', "~0").replace('/', "~1"));
                let (start, end) = value_span(text, &pointer)?;
                Some(Location::new(
                    Uri::from_str(uri).ok()?,
                    text::range(text, start, end),
                ))
            }
            "journey" => {
                let (_, t, path) = self
                    .siblings(uri)
                    .into_iter()
                    .find(|(_, t, _)| journey_id(t).as_deref() == Some(name.as_str()))?;
                let start = locate(&t, "").unwrap_or(0);
                Some(Location::new(uri_of(&path)?, text::range(&t, start, start)))
            }
            _ => None,
        }
    }
}

/// Completion inside an expression string of a journey file: the decoded
/// text up to the cursor is completed, and the edit written back escaped.
fn expression_completion(
    text: &str,
    quote: usize,
    at: usize,
    catalog: Option<&JourneyCatalog>,
) -> Vec<CompletionItem> {
    let core = catalog.map(|c| c.core.clone()).unwrap_or_default();
    let raw = text.get(quote + 1..at).unwrap_or("");
    let Ok(decoded) = serde_json::from_str::<String>(&format!("\"{raw}\"")) else {
        return Vec::new();
    };
    let (start, words) = jexpr::authoring::complete(&core, &decoded, decoded.len());
    let from = offset_in_string(text, quote, start).unwrap_or(at).min(at);
    edits(text, from, at, words, escape)
}

/// `word` as it is written inside a JSON string.
fn escape(word: &str) -> String {
    let quoted = serde_json::to_string(word).unwrap_or_default();
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or("")
        .to_string()
}

fn edits(
    text: &str,
    from: usize,
    to: usize,
    words: Vec<String>,
    written: impl Fn(&str) -> String,
) -> Vec<CompletionItem> {
    let range: Range = text::range(text, from, to);
    words
        .into_iter()
        .map(|w| CompletionItem {
            label: w.clone(),
            kind: Some(if w.ends_with('(') {
                CompletionItemKind::FUNCTION
            } else {
                CompletionItemKind::FIELD
            }),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(range, written(&w)))),
            ..Default::default()
        })
        .collect()
}

/// The end of the JSON string that starts at `quote`.
fn value_span_at(text: &str, quote: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = quote + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The identifier around byte `at` of `source`.
fn word_at(source: &str, at: usize) -> String {
    // A cursor reckoned from raw JSON may fall inside a character.
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = source[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = source[at..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(source.len(), |(i, _)| at + i);
    source[start..end].to_string()
}

fn node_ids(text: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("nodes")?
                .as_object()
                .map(|n| n.keys().cloned().collect())
        })
        .unwrap_or_default()
}

fn journey_id(text: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

fn markdown(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

fn note(
    text: &str,
    start: usize,
    end: usize,
    severity: DiagnosticSeverity,
    code: &str,
    message: &str,
) -> Diagnostic {
    Diagnostic {
        range: text::range(text, start, end),
        severity: Some(severity),
        code: Some(NumberOrString::String(code.to_string())),
        source: Some("jexpr".into()),
        message: message.to_string(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::word_at;

    #[test]
    fn the_word_at_a_cursor_inside_a_character_is_found_not_a_panic() {
        let source = "concat(\"é\", x)";
        let inside = source.find('é').expect("é") + 1;
        assert_eq!(word_at(source, inside), "");
        assert_eq!(word_at(source, 2), "concat");
        assert_eq!(word_at(source, 999), "");
    }
}
