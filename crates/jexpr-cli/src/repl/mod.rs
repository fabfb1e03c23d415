//! `jexpr repl`: try expressions against sample events. The session logic is
//! in [`session`], completion in `jexpr::authoring`; this module is the terminal.

pub mod session;

use jexpr::authoring::needs_more;
use jexpr::Catalog;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Editor, Helper};
pub use session::{Flow, Session, COMMANDS};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// Where history is kept: a file, or nowhere.
pub enum History {
    File(PathBuf),
    Off,
}

/// The default history file: `$XDG_DATA_HOME/jexpr/history`, else
/// `~/.local/share/jexpr/history` (the user's data directory).
pub fn default_history() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("jexpr").join("history"))
}

struct ReplHelper {
    catalog: Catalog,
    /// The sample data, for map keys inside `entry("`.
    sample: serde_json::Value,
    files: FilenameCompleter,
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        // File paths after the commands that load a file.
        let before = line.get(..pos).unwrap_or(line);
        let takes_file = [":context ", ":catalog "]
            .iter()
            .any(|c| before.starts_with(c))
            || (before.starts_with(":event ") && before.split_whitespace().count() >= 2);
        if takes_file {
            return self.files.complete(line, pos, ctx);
        }
        if let Some((start, keys)) = entry_keys(&self.sample, before) {
            let pairs = keys
                .into_iter()
                .map(|k| Pair {
                    display: k.clone(),
                    replacement: k,
                })
                .collect();
            return Ok((start, pairs));
        }
        let (start, names) = complete(&self.catalog, line, pos);
        // Audience names: the catalog's list, else the sample's audiences.
        if names.is_empty() && self.catalog.audiences.is_none() {
            if let Some((at, typed)) = audience_argument(before) {
                if let Some(known) = self.sample.get("audiences").and_then(|a| a.as_object()) {
                    let mut found: Vec<String> = known
                        .keys()
                        .filter(|k| k.starts_with(typed))
                        .cloned()
                        .collect();
                    found.sort();
                    return Ok((
                        at,
                        found
                            .into_iter()
                            .map(|k| Pair {
                                display: k.clone(),
                                replacement: k,
                            })
                            .collect(),
                    ));
                }
            }
        }
        let pairs = names
            .into_iter()
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

// Unfinished input is continued by `run` with its own prompt.
impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

/// Runs the REPL on the terminal, or line by line when stdin is not one.
pub fn run(mut session: Session, history: History) -> std::io::Result<()> {
    if !std::io::stdin().is_terminal() {
        return run_piped(
            &mut session,
            std::io::stdin().lock(),
            &mut std::io::stdout(),
        );
    }
    // Tab lists every candidate (after completing their common prefix)
    // rather than cycling through them one press at a time.
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> =
        Editor::with_config(config).map_err(std::io::Error::other)?;
    editor.set_helper(Some(ReplHelper {
        catalog: session.catalog(),
        sample: session.sample().clone(),
        files: FilenameCompleter::new(),
    }));
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if let History::File(path) = &history {
        // A missing history file is normal the first time.
        let _ = editor.load_history(path);
    }
    outln!(
        "jexpr {} — `:help` for commands, Tab to complete, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    let mut pending = String::new();
    loop {
        // An open bracket or quote, an `if` without its `else`, a trailing
        // operator: the input goes on, under a prompt that says so.
        let prompt = if pending.is_empty() {
            "jexpr> "
        } else {
            "  ...> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if !pending.is_empty() {
                    pending.push('\n');
                }
                pending.push_str(&line);
                if !pending.trim_start().starts_with(':')
                    && pending.len() <= jexpr::MAX_SOURCE_LEN
                    && needs_more(&pending)
                {
                    continue;
                }
                let input = std::mem::take(&mut pending);
                let _ = editor.add_history_entry(input.as_str());
                let mut out = String::new();
                let flow = session.handle(&input, &mut out);
                out!("{}", if colour { coloured(&out) } else { out });
                if let Some(helper) = editor.helper_mut() {
                    helper.catalog = session.catalog();
                    helper.sample = session.sample().clone();
                }
                if flow == Flow::Quit {
                    break;
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                // Ctrl-C abandons an unfinished input.
                pending.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(std::io::Error::other(e)),
        }
    }
    if let History::File(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            errln!("warning: could not save history to {}: {e}", path.display());
        }
    }
    Ok(())
}

/// Terminal colours for what a session printed: errors and warnings in
/// red and yellow, a result's type dimmed after its value, diagnostics'
/// underlines in the colour of their severity.
fn coloured(text: &str) -> String {
    const RED: &str = "\x1b[1;31m";
    const YELLOW: &str = "\x1b[1;33m";
    const CYAN: &str = "\x1b[36m";
    const DIM: &str = "\x1b[2m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + 64);
    let mut severity = RED;
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if let Some(rest) = body.strip_prefix("error") {
            severity = RED;
            out.push_str(&format!("{RED}error{RESET}{rest}{newline}"));
        } else if let Some(rest) = body.strip_prefix("warning") {
            severity = YELLOW;
            out.push_str(&format!("{YELLOW}warning{RESET}{rest}{newline}"));
        } else if body.trim_start().starts_with('│') && body.contains('^') {
            out.push_str(&format!("{severity}{body}{RESET}{newline}"));
        } else if let Some((value, ty)) = body.rsplit_once(" : ") {
            out.push_str(&format!("{value}{DIM} : {RESET}{CYAN}{ty}{RESET}{newline}"));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Reads lines (no prompt, no editing), joining continuation lines of an
/// unfinished expression, and writes what each input prints.
pub fn run_piped(
    session: &mut Session,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut pending = String::new();
    let mut scanner = jexpr::authoring::InputScanner::default();
    for line in input.lines() {
        let line = line?;
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        // Past the longest source there is no point waiting: hand it over
        // (the compiler then says E0120). Each line scans only itself.
        let too_long = pending.len() > jexpr::MAX_SOURCE_LEN;
        if !too_long && !pending.trim_start().starts_with(':') && scanner.needs_more(&pending) {
            continue;
        }
        scanner = jexpr::authoring::InputScanner::default();
        let mut text = String::new();
        let flow = session.handle(&pending, &mut text);
        out.write_all(text.as_bytes())?;
        pending.clear();
        if flow == Flow::Quit {
            return Ok(());
        }
    }
    if !pending.trim().is_empty() {
        let mut text = String::new();
        session.handle(&pending, &mut text);
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Inside `entry("` of a field path: the keys the sample data has at that
/// path (where the key starts, and the keys that start with what is typed).
fn entry_keys(sample: &serde_json::Value, before: &str) -> Option<(usize, Vec<String>)> {
    let quote = before.rfind(['"', '\''])?;
    let typed = &before[quote + 1..];
    if typed.contains(['"', '\'']) {
        return None;
    }
    let call = before[..quote].trim_end().strip_suffix('(')?.trim_end();
    let path = call.strip_suffix("entry")?.trim_end().strip_suffix('.')?;
    let open = path.rfind(['@', '#'])?;
    let (root, steps) = match path.get(open..open + 2)? {
        "@{" => ("events", &path[open + 2..]),
        "#{" => ("dataSources", &path[open + 2..]),
        _ => return None,
    };
    let mut node = sample.get(root)?;
    for step in steps.split('.') {
        node = node.get(step.trim_matches(['"', '\'']))?;
    }
    let mut keys: Vec<String> = node
        .as_object()?
        .keys()
        .filter(|k| k.starts_with(typed))
        .cloned()
        .collect();
    keys.sort();
    Some((quote + 1, keys))
}

/// Inside the string argument of `inAudience(`/`inSegment(`: where the name
/// starts and what is typed of it.
fn audience_argument(before: &str) -> Option<(usize, &str)> {
    let quote = before.rfind(['"', '\''])?;
    let typed = &before[quote + 1..];
    let call = before[..quote].trim_end().strip_suffix('(')?.trim_end();
    (call.ends_with("inAudience") || call.ends_with("inSegment")).then_some((quote + 1, typed))
}

/// Completion of `:commands` at the start of a line, else of the expression.
fn complete(catalog: &Catalog, line: &str, pos: usize) -> (usize, Vec<String>) {
    let before = line.get(..pos).unwrap_or(line);
    if before.starts_with(':') && !before.contains(char::is_whitespace) {
        let mut names: Vec<String> = COMMANDS
            .iter()
            .map(|(c, _, _)| c.to_string())
            .filter(|c| c.starts_with(before))
            .collect();
        names.sort();
        return (0, names);
    }
    jexpr::authoring::complete(catalog, line, pos)
}

#[cfg(test)]
mod tests {
    #[test]
    fn map_keys_inside_entry_come_from_the_sample() {
        let sample = serde_json::json!({"events": {"OrderEvent": {"identityMap": {"Email": [], "ECID": []}}}});
        let line = r#"@{OrderEvent.identityMap.entry(""#;
        assert_eq!(
            super::entry_keys(&sample, line),
            Some((line.len(), vec!["ECID".to_string(), "Email".to_string()]))
        );
        let line = r#"@{OrderEvent.identityMap.entry('E"#;
        assert_eq!(
            super::entry_keys(&sample, line).map(|(_, k)| k),
            Some(vec!["ECID".to_string(), "Email".to_string()])
        );
        assert_eq!(super::entry_keys(&sample, r#"@{Nope.m.entry(""#), None);
        assert_eq!(super::entry_keys(&sample, r#"lower(""#), None);
    }

    #[test]
    fn commands() {
        let catalog = jexpr::Catalog::no_data();
        assert_eq!(super::complete(&catalog, ":by", 3).1, [":bytecode"]);
        assert_eq!(
            super::complete(&catalog, ":t", 2).1,
            [":time", ":type", ":tz"]
        );
    }
}
