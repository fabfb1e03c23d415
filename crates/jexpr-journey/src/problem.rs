//! Problems found in journey files and catalogs: a stable code, the JSON
//! pointer of the offending value, a message, and for an expression the
//! compile diagnostic located inside it.

use jexpr::Diagnostic;
use serde_json::json;
use std::fmt::Write;

/// Error or warning; warnings (an unreachable node) never fail a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The journey cannot be published.
    Error,
    /// Worth a look; the journey is still valid.
    Warning,
}

/// One problem of one file.
#[derive(Clone, Debug)]
pub struct Problem {
    /// `J0xx` for journey structure, the expression's own code (`E0205`…) for
    /// an expression that does not compile or has the wrong type.
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in.
    pub file: String,
    /// JSON pointer of the offending value (`/nodes/vip/paths/0/when`).
    pub pointer: String,
    /// One line saying what is wrong.
    pub message: String,
    /// Advice, written from the author's side.
    pub help: Option<String>,
    /// For an expression: its source and the diagnostic inside it.
    pub expression: Option<(String, Diagnostic)>,
    /// Line and column (1-based) in the file, where they could be found:
    /// for an expression, of the diagnostic's first character.
    pub location: Option<(usize, usize)>,
}

impl Problem {
    /// An error at `pointer` of `file`.
    pub fn error(code: &str, file: &str, pointer: &str, message: impl Into<String>) -> Problem {
        Problem {
            code: code.to_string(),
            severity: Severity::Error,
            file: file.to_string(),
            pointer: pointer.to_string(),
            message: message.into(),
            help: None,
            expression: None,
            location: None,
        }
    }

    /// A warning at `pointer` of `file`.
    pub fn warning(code: &str, file: &str, pointer: &str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, file, pointer, message)
        }
    }

    /// Adds advice.
    pub fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// A problem inside expression `source` at `pointer`.
    pub fn expression(file: &str, pointer: &str, source: &str, d: Diagnostic) -> Problem {
        Problem {
            code: d.code.to_string(),
            severity: Severity::Error,
            file: file.to_string(),
            pointer: pointer.to_string(),
            message: d.message.clone(),
            help: None,
            expression: Some((source.to_string(), d)),
            location: None,
        }
    }

    /// The problem as a user reads it: for an expression, the snippet with
    /// the underline, located by file and JSON pointer.
    pub fn render(&self) -> String {
        let where_ = self.place();
        if let Some((source, d)) = &self.expression {
            return jexpr::diagnostic::render(&where_, source, std::slice::from_ref(d));
        }
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = format!("{kind}[{}]: {}\n  ┌─ {where_}\n", self.code, self.message);
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out.push('\n');
        out
    }

    /// Where it is, as its rendering shows it: `file:line:column
    /// #pointer` (which terminals and editors jump to), or `file#pointer`.
    pub fn place(&self) -> String {
        match self.location {
            Some((line, column)) => format!("{}:{line}:{column} #{}", self.file, self.pointer),
            None => format!("{}#{}", self.file, self.pointer),
        }
    }

    /// The JSON shape of JOURNEYS.md section 6.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({
            "code": self.code,
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
        });
        let help = self
            .help
            .clone()
            .or_else(|| self.expression.as_ref().and_then(|(_, d)| d.help.clone()));
        if let Some(help) = help {
            v["help"] = json!(help);
        }
        if let Some((_, d)) = &self.expression {
            v["span"] = json!([d.span.start, d.span.end]);
        }
        if let Some((line, column)) = self.location {
            v["line"] = json!(line);
            v["column"] = json!(column);
        }
        v
    }

    /// Finds the problem's line and column in `text`, its file's content.
    pub fn locate_in(&mut self, text: &str) {
        let Some(value) = crate::json::locate(text, &self.pointer) else {
            return;
        };
        let at = match &self.expression {
            Some((_, d)) if text.as_bytes().get(value) == Some(&b'"') => {
                crate::json::offset_in_string(text, value, d.span.start as usize).unwrap_or(value)
            }
            _ => value,
        };
        self.location = Some(crate::json::line_column(text, at));
    }
}

/// All problems of a check, errors and warnings apart.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every problem, in the order found.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// `{"errors": […], "warnings": […]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let pick = |s: Severity| -> Vec<serde_json::Value> {
            self.problems
                .iter()
                .filter(|p| p.severity == s)
                .map(Problem::to_json)
                .collect()
        };
        json!({"errors": pick(Severity::Error), "warnings": pick(Severity::Warning)})
    }

    /// Every problem rendered, errors first, then a count line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in [Severity::Error, Severity::Warning] {
            for p in self.problems.iter().filter(|p| p.severity == s) {
                out.push_str(&p.render());
            }
        }
        let _ = writeln!(out, "{}", self.counts());
        out
    }

    /// `N errors, M warnings`, the report's last line.
    pub fn counts(&self) -> String {
        let errors = self
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        let warnings = self.problems.len() - errors;
        let plural = |n: usize, w: &str| {
            if n == 1 {
                format!("1 {w}")
            } else {
                format!("{n} {w}s")
            }
        };
        format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}
