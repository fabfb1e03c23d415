//! Compile-time diagnostics: a stable code, a message, a primary span, extra
//! labels and an optional help line, rendered as a source snippet.

use crate::span::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::WriteColor};

/// One compile error. `code` is stable across releases (see README, "Error codes").
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0205` (README, "Error codes").
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// Byte range in the source the diagnostic is about.
    pub span: Span,
    /// Text shown under the primary span (may be empty).
    pub label: String,
    /// Secondary spans with their own text ("opened here").
    pub notes: Vec<(Span, String)>,
    /// Advice written from the user's side ("did you mean …").
    pub help: Option<String>,
    /// An error stops the expression; a warning is advice about one that
    /// works (and never changes an exit code).
    pub severity: Severity,
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Severity {
    /// The expression cannot be used.
    #[default]
    Error,
    /// The expression works but probably not as meant (`W` codes).
    Warning,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{what}[{}]: {} (at {}..{})",
            self.code, self.message, self.span.start, self.span.end
        )?;
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in one source: never empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// The first problem (the one a user fixes first).
    pub fn first(&self) -> &Diagnostic {
        // `From` never builds an empty list; the fallback only keeps this total.
        static NONE: std::sync::OnceLock<Diagnostic> = std::sync::OnceLock::new();
        self.0.first().unwrap_or_else(|| {
            NONE.get_or_init(|| {
                Diagnostic::new("E0100", Span::point(0), "internal error: no diagnostic")
            })
        })
    }

    /// The diagnostics as a vector.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

/// Most diagnostics reported for one source; the rest are counted in a
/// last `E0199` (each one renders a snippet, and thousands help nobody).
pub const MAX_DIAGNOSTICS: usize = 50;

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(mut v: Vec<Diagnostic>) -> Diagnostics {
        if v.len() > MAX_DIAGNOSTICS {
            let rest = v.split_off(MAX_DIAGNOSTICS);
            let first = rest.first().map_or(Span::point(0), |d| d.span);
            v.push(
                Diagnostic::new(
                    "E0199",
                    first,
                    format!("{} more problems are not shown", rest.len()),
                )
                .with_label("the next one is here")
                .with_help("fix the ones above first; many usually share one cause"),
            );
        }
        Diagnostics(v)
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl std::ops::Deref for Diagnostics {
    type Target = [Diagnostic];
    fn deref(&self) -> &[Diagnostic] {
        &self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostic {
    /// A diagnostic with a code, a span and a message.
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            notes: Vec::new(),
            help: None,
            severity: Severity::Error,
        }
    }

    /// A warning with a code (`W…`), a span and a message.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::new(code, span, message)
        }
    }

    /// Sets the text under the primary span.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    /// Adds a secondary span with its text.
    pub fn with_note(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.notes.push((span, text.into()));
        self
    }

    /// Sets the advice line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    fn to_codespan(&self, src_len: usize) -> CsDiagnostic<()> {
        let clamp = |s: Span| {
            let r = s.range();
            r.start.min(src_len)..r.end.min(src_len).max(r.start.min(src_len))
        };
        let mut labels = vec![Label::primary((), clamp(self.span)).with_message(&self.label)];
        for (span, text) in &self.notes {
            labels.push(Label::secondary((), clamp(*span)).with_message(text));
        }
        let d = match self.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        };
        let mut d = d
            .with_code(self.code)
            .with_message(&self.message)
            .with_labels(labels);
        if let Some(help) = &self.help {
            d = d.with_notes(vec![format!("help: {help}")]);
        }
        d
    }
}

/// Writes `diags` as rendered snippets of `src` to `out` (colour if `out` supports it).
pub fn emit(out: &mut dyn WriteColor, name: &str, src: &str, diags: &[Diagnostic]) {
    let file = SimpleFile::new(name, src);
    let config = term::Config::default();
    for d in diags {
        // A failed write to the terminal is not something to report about an expression.
        let _ = term::emit(out, &config, &file, &d.to_codespan(src.len()));
    }
}

/// Renders `diags` as plain text, exactly as a user sees them without colour.
pub fn render(name: &str, src: &str, diags: &[Diagnostic]) -> String {
    let mut buf = term::termcolor::NoColor::new(Vec::new());
    emit(&mut buf, name, src, diags);
    String::from_utf8_lossy(&buf.into_inner()).into_owned()
}

/// Writes an evaluation error (no code: it is not a compile error) with its snippet.
pub fn emit_eval_error(out: &mut dyn WriteColor, name: &str, src: &str, err: &crate::EvalError) {
    let file = SimpleFile::new(name, src);
    let len = src.len();
    let range = err.span.range();
    let range = range.start.min(len)..range.end.min(len).max(range.start.min(len));
    let code = err.kind.code();
    // Bad data: say which data (the field reference that read it).
    let label = match err.kind {
        crate::EvalErrorKind::InvalidData | crate::EvalErrorKind::DataSource => {
            let text = src.get(range.clone()).unwrap_or("");
            if text.starts_with("@{") || text.starts_with("#{") || text.starts_with("@action{") {
                format!("the data read by `{text}`")
            } else {
                "while evaluating this".to_string()
            }
        }
        _ => "while evaluating this".to_string(),
    };
    let mut d = CsDiagnostic::error()
        .with_code(code)
        .with_message(format!("evaluation failed: {}", err.message))
        .with_labels(vec![Label::primary((), range).with_message(label)]);
    let help = match err.kind {
        crate::EvalErrorKind::InvalidData => Some("the sample data does not have the type the catalog gives this field: fix the data or the catalog"),
        crate::EvalErrorKind::WorkLimit => Some("the expression does more work than one evaluation may: filter or limit the lists it reads"),
        crate::EvalErrorKind::Internal => Some("this is a fault in jexpr: please report it with the expression and data"),
        _ => None,
    };
    if let Some(h) = help {
        d = d.with_notes(vec![format!("help: {h}")]);
    }
    let _ = term::emit(out, &term::Config::default(), &file, &d);
}
