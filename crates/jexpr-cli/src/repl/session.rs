//! A REPL session: the loaded catalog and sample data, and what each input
//! line prints. Independent of the terminal, so piped sessions and tests see
//! exactly what a user sees.

use chrono::{DateTime, Utc};
use jexpr::authoring::closest;
use jexpr::time::{self, Zone};
use jexpr::{diagnostic, Catalog, Compiler, Context};
use serde_json::{json, Value as Json};
use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (
        ":context",
        "FILE",
        "load an evaluation context (docs/language.md)",
    ),
    (":catalog", "FILE", "load a catalog of schemas (section 8)"),
    (":event", "NAME FILE", "load one sample event payload"),
    (":now", "RFC3339", "set the clock"),
    (":tz", "ZONE", "set the journey's time zone"),
    (":type", "EXPR", "show the type of an expression"),
    (":ast", "EXPR", "show the syntax tree and canonical text"),
    (":bytecode", "EXPR", "show the compiled program"),
    (":time", "EXPR", "measure evaluations per second"),
    (
        ":explain",
        "EXPR",
        "the value of every part of an expression (why it is what it is)",
    ),
    (
        ":functions",
        "[PREFIX]",
        "list the functions (whose names start with PREFIX)",
    ),
    (
        ":doc",
        "NAME",
        "a function's signatures, null rule and examples",
    ),
    (":quit", "", "leave (also Ctrl-D)"),
];

/// What the REPL does after an input.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

pub struct Session {
    /// Set by `--catalog` or `:catalog`; otherwise types come from the data.
    catalog: Option<Catalog>,
    /// The sample data: a context document (section 9).
    context: Json,
    now: Option<DateTime<Utc>>,
    tz: Option<Zone>,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            catalog: None,
            context: json!({}),
            now: None,
            tz: None,
        }
    }
}

impl Session {
    pub fn new(catalog: Option<Catalog>, context: Option<Json>) -> Session {
        Session {
            catalog,
            context: context.unwrap_or_else(|| json!({})),
            ..Session::default()
        }
    }

    /// The sample data (a context document).
    pub fn sample(&self) -> &Json {
        &self.context
    }

    /// The catalog expressions are typed against: the loaded one, else one
    /// inferred from the sample data.
    pub fn catalog(&self) -> Catalog {
        match &self.catalog {
            Some(c) => c.clone(),
            None => Catalog::infer(&self.context),
        }
    }

    /// Handles one complete input (an expression or a command); appends what
    /// it prints to `out`.
    pub fn handle(&mut self, input: &str, out: &mut String) -> Flow {
        let input = input.trim();
        if input.is_empty() {
            return Flow::Continue;
        }
        let Some(command) = input.strip_prefix(':') else {
            self.evaluate(input, out);
            return Flow::Continue;
        };
        let (name, arg) = match command.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (command, ""),
        };
        match name {
            "help" | "h" | "?" => {
                out.push_str("Type an expression to evaluate it, or a command:\n");
                for (cmd, args, what) in COMMANDS {
                    let _ = writeln!(out, "  {:<24} {what}", format!("{cmd} {args}"));
                }
                out.push_str("Tab completes names; an open bracket, quote or `if` continues on the next line.\n");
            }
            "quit" | "q" | "exit" => return Flow::Quit,
            "context" => self.load_context(arg, out),
            "catalog" => self.load_catalog(arg, out),
            "event" => self.load_event(arg, out),
            "now" => match time::parse_instant(arg) {
                Ok(t) => {
                    self.now = Some(t);
                    let _ = writeln!(
                        out,
                        "now = {}",
                        time::format_zoned(&time::ZonedDateTime::utc(t))
                    );
                }
                Err(e) => error(out, &e.to_string()),
            },
            "tz" => match time::parse_zone(arg) {
                Some(z) => {
                    self.tz = Some(z);
                    let _ = writeln!(out, "time zone = {arg}");
                }
                None => error(out, &time::unknown_zone_message(arg)),
            },
            "type" => self.with_program(arg, out, |program, out| {
                let _ = writeln!(out, "{}", program.ty());
            }),
            "ast" => match jexpr::parse(arg) {
                Ok(ast) => {
                    let _ = writeln!(out, "{}\n{}", jexpr::sexpr(&ast), jexpr::print(&ast));
                }
                Err(diags) => out.push_str(&diagnostic::render("input", arg, &diags)),
            },
            "bytecode" => self.with_program(arg, out, |program, out| {
                out.push_str(&program.disassemble())
            }),
            "time" => self.time(arg, out),
            "explain" => self.explain(arg, out),
            "functions" | "fn" => functions(arg, out),
            "doc" => doc(arg, out),
            other => {
                let names = COMMANDS.iter().map(|(c, _, _)| &c[1..]);
                let hint = closest(other, names)
                    .map(|s| format!("; did you mean `:{s}`?"))
                    .unwrap_or_default();
                error(
                    out,
                    &format!("unknown command `:{other}`{hint} (`:help` lists them)"),
                );
            }
        }
        Flow::Continue
    }

    fn with_program(
        &self,
        src: &str,
        out: &mut String,
        f: impl FnOnce(&jexpr::Program, &mut String),
    ) {
        if src.is_empty() {
            error(out, "this command takes an expression");
            return;
        }
        match Compiler::new(&self.catalog()).compile(src) {
            Ok(program) => f(&program, out),
            Err(diags) => out.push_str(&diagnostic::render("input", src, &diags)),
        }
    }

    fn evaluation_context(&self) -> Result<Context<'_>, String> {
        let mut ctx = Context::from_json(&self.context).map_err(|e| e.to_string())?;
        if let Some(now) = self.now {
            ctx.now = now;
        } else if self.context.get("now").is_none() {
            ctx.now = Utc::now();
        }
        if let Some(tz) = self.tz {
            ctx.time_zone = tz;
        }
        Ok(ctx)
    }

    /// `:explain`: the tree of `eval --explain`.
    fn explain(&self, src: &str, out: &mut String) {
        let ctx = match self.evaluation_context() {
            Ok(ctx) => ctx,
            Err(e) => return error(out, &format!("invalid context: {e}")),
        };
        match jexpr::explain::explain(src, &self.catalog(), &ctx) {
            Ok(tree) => out.push_str(&tree.to_text()),
            Err(d) => out.push_str(&diagnostic::render("input", src, &d)),
        }
    }

    fn evaluate(&self, src: &str, out: &mut String) {
        // Fields missing from the sample data, yes; constant conditions are
        // what one tries in a REPL, so they are not flagged here.
        if let Ok(checked) = jexpr::check(src, &self.catalog()) {
            let warnings: Vec<_> = checked
                .warnings
                .into_iter()
                .filter(|w| !w.code.starts_with("W03"))
                .collect();
            if !warnings.is_empty() {
                out.push_str(&diagnostic::render("input", src, &warnings));
            }
        }
        self.with_program(src, out, |program, out| {
            let ctx = match self.evaluation_context() {
                Ok(ctx) => ctx,
                Err(e) => return error(out, &format!("invalid context: {e}")),
            };
            match program.eval(&ctx) {
                Ok(v) => {
                    let _ = writeln!(out, "{} : {}", v.display_quoted(), program.ty());
                }
                Err(e) => {
                    let mut buf = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
                    diagnostic::emit_eval_error(&mut buf, "input", src, &e);
                    out.push_str(&String::from_utf8_lossy(&buf.into_inner()));
                }
            }
        });
    }

    fn time(&self, src: &str, out: &mut String) {
        self.with_program(src, out, |program, out| {
            let ctx = match self.evaluation_context() {
                Ok(ctx) => ctx,
                Err(e) => return error(out, &format!("invalid context: {e}")),
            };
            if let Err(e) = program.eval(&ctx) {
                return error(out, &format!("evaluation failed: {}", e.message));
            }
            let budget = Duration::from_millis(300);
            let start = Instant::now();
            let mut runs: u64 = 0;
            while start.elapsed() < budget {
                for _ in 0..100 {
                    let _ = std::hint::black_box(program.eval(std::hint::black_box(&ctx)));
                }
                runs += 100;
            }
            let per = start.elapsed().as_nanos() as f64 / runs as f64;
            let _ = writeln!(
                out,
                "{:.0} evaluations/s ({per:.0} ns each, {runs} runs)",
                1e9 / per
            );
        });
    }

    fn load_context(&mut self, path: &str, out: &mut String) {
        match read_json(path).and_then(|doc| {
            Context::from_json(&doc).map_err(|e| format!("{path}: {e}"))?;
            Ok(doc)
        }) {
            Ok(doc) => {
                let events = doc
                    .get("events")
                    .and_then(Json::as_object)
                    .map_or(0, |m| m.len());
                // Say what the new context replaces, so nothing vanishes unseen.
                let replaced: Vec<String> = self
                    .context
                    .get("events")
                    .and_then(Json::as_object)
                    .map(|m| m.keys().map(|k| format!("`{k}`")).collect())
                    .unwrap_or_default();
                self.context = doc;
                let _ = writeln!(out, "context loaded: {events} event(s)");
                if !replaced.is_empty() {
                    let _ = writeln!(
                        out,
                        "note: it replaces the sample data loaded before (events {})",
                        replaced.join(", ")
                    );
                }
            }
            Err(e) => error(out, &e),
        }
    }

    fn load_catalog(&mut self, path: &str, out: &mut String) {
        match Catalog::load(Path::new(path)) {
            Ok(c) => {
                let _ = writeln!(
                    out,
                    "catalog loaded: {} event(s), {} data source(s)",
                    c.events.len(),
                    c.data_sources.len()
                );
                self.catalog = Some(c);
            }
            Err(e) => error(out, &e.to_string()),
        }
    }

    fn load_event(&mut self, arg: &str, out: &mut String) {
        let Some((name, path)) = arg.split_once(char::is_whitespace) else {
            return error(out, "usage: :event NAME FILE");
        };
        match read_json(path.trim()) {
            Ok(payload) => {
                if !self.context.is_object() {
                    self.context = json!({});
                }
                let events = self
                    .context
                    .as_object_mut()
                    .map(|root| root.entry("events").or_insert_with(|| json!({})));
                match events.and_then(Json::as_object_mut) {
                    Some(events) => {
                        events.insert(name.to_string(), payload);
                        let _ = writeln!(out, "event `{name}` loaded");
                    }
                    None => error(out, "the context's `events` is not an object"),
                }
            }
            Err(e) => error(out, &e),
        }
    }
}

fn read_json(path: &str) -> Result<Json, String> {
    if path.is_empty() {
        return Err("this command takes a file path".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: not valid JSON: {e}"))
}

/// `:functions [PREFIX]`: one line per function with its signatures.
fn functions(prefix: &str, out: &mut String) {
    let all = jexpr::authoring::functions();
    let chosen: Vec<_> = all.iter().filter(|f| f.name.starts_with(prefix)).collect();
    if chosen.is_empty() {
        let hint = closest(prefix, all.iter().map(|f| f.name))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return error(out, &format!("no function starts with `{prefix}`{hint}"));
    }
    for f in chosen {
        let _ = writeln!(out, "  {}", f.signatures.join("  |  "));
    }
}

/// `:doc NAME`: everything the table says about one function.
fn doc(name: &str, out: &mut String) {
    match jexpr::authoring::function(name) {
        Some(f) => {
            let _ = writeln!(out, "{} ({})", f.name, f.category);
            for s in &f.signatures {
                let _ = writeln!(out, "  {s}");
            }
            let _ = writeln!(out, "null: {}\n{}", f.nulls, f.doc);
        }
        None => {
            let all = jexpr::authoring::functions();
            let hint = closest(name, all.iter().map(|f| f.name))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            error(
                out,
                &format!("no function `{name}`{hint} (`:functions` lists them)"),
            );
        }
    }
}

fn error(out: &mut String, message: &str) {
    let _ = writeln!(out, "error: {message}");
}
