//! The documentation in `docs/` is kept true by running it. In every
//! `docs/*.md`, fenced blocks are checked by their info string:
//!
//! * `json` parses; `json journey` is a journey that `journey check`
//!   accepts against `docs/examples/catalog.json` (or the `catalog=PATH`
//!   given after it); `json node` is a node the journey schema accepts;
//!   `json catalog` loads as a catalog; `jsonl` is JSON Lines.
//! * `sh`: every line starting with `jexpr ` (continued by a trailing `\`)
//!   runs, in a scratch directory where `docs/` and `examples/` are the
//!   repository's, in order through the page (so a tutorial's steps build on
//!   each other). It must exit 0 unless the block is preceded by
//!   `<!-- exit: N -->`. A `text` block preceded by `<!-- output -->` is what
//!   the last command printed (standard output, then standard error).
//! * A block preceded by `<!-- file: PATH -->` is that file's content.
//!
//! `docs/functions.md` is generated from the builtin table; run with
//! `JEXPR_UPDATE_DOCS=1` to write it after changing a function.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// One fenced block and the directives in the comment lines before it.
struct Block {
    info: String,
    body: String,
    line: usize,
    file: Option<String>,
    output: bool,
    exit: i32,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    let (mut file, mut output, mut exit) = (None, false, 0);
    while let Some((n, line)) = lines.next() {
        let t = line.trim();
        if let Some(d) = t.strip_prefix("<!--").and_then(|d| d.strip_suffix("-->")) {
            let d = d.trim();
            if let Some(path) = d.strip_prefix("file:") {
                file = Some(path.trim().to_string());
            } else if d == "output" {
                output = true;
            } else if let Some(code) = d.strip_prefix("exit:") {
                exit = code.trim().parse().expect("exit code");
            }
            continue;
        }
        if let Some(info) = t.strip_prefix("```") {
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            out.push(Block {
                info: info.trim().to_string(),
                body,
                line: n + 1,
                file: file.take(),
                output: std::mem::take(&mut output),
                exit: std::mem::take(&mut exit),
            });
        } else if !t.is_empty() {
            // A directive applies to the block right after it.
            file = None;
            output = false;
            exit = 0;
        }
    }
    out
}

/// Shell words: whitespace-separated, with '…' and "…" quoting and `*`
/// globs (unquoted) expanded in `cwd`.
fn words(line: &str, cwd: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut glob = false;
    let mut any = false;
    let mut chars = line.chars().peekable();
    let mut finish = |word: &mut String, glob: &mut bool, any: &mut bool| {
        if *glob {
            out.extend(expand(word, cwd));
        } else if *any {
            out.push(word.clone());
        }
        word.clear();
        *glob = false;
        *any = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                any = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                any = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            c if c.is_whitespace() => finish(&mut word, &mut glob, &mut any),
            c => {
                any = true;
                glob |= c == '*';
                word.push(c);
            }
        }
    }
    finish(&mut word, &mut glob, &mut any);
    out
}

fn expand(pattern: &str, cwd: &Path) -> Vec<String> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let (prefix, suffix) = name.split_once('*').expect("a glob");
    let mut found: Vec<String> = std::fs::read_dir(cwd.join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.starts_with(prefix) && f.ends_with(suffix))
                .map(|f| {
                    if dir.is_empty() {
                        f
                    } else {
                        format!("{dir}/{f}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Runs the `jexpr` lines of a `sh` block; returns the last one's output.
fn run_sh(block: &Block, cwd: &Path, page: &str) -> String {
    let joined = block.body.replace("\\\n", " ");
    let mut last = String::new();
    for line in joined.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("jexpr ") else {
            continue;
        };
        let mut args = words(rest, cwd);
        let mut stdout_to = None;
        let mut stdin_from = None;
        if let Some(at) = args.iter().position(|a| a == ">") {
            stdout_to = args.get(at + 1).cloned();
            args.truncate(at);
        }
        if let Some(at) = args.iter().position(|a| a == "<") {
            stdin_from = args.get(at + 1).cloned();
            args.drain(at..at + 2);
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jexpr"));
        cmd.current_dir(cwd).args(&args).env("NO_COLOR", "1");
        match &stdin_from {
            Some(f) => cmd.stdin(std::fs::File::open(cwd.join(f)).expect("stdin file")),
            None => cmd.stdin(Stdio::null()),
        };
        let out = cmd.output().expect("run jexpr");
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            code, block.exit,
            "{page}:{}: `jexpr {rest}` exited {code}\n{stdout}{stderr}",
            block.line
        );
        if let Some(f) = stdout_to {
            std::fs::write(cwd.join(f), &stdout).expect("write redirect");
        }
        last = format!("{stdout}{stderr}");
    }
    last
}

fn trimmed(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// A validator of the journey schema at `pointer` (`#` for a whole journey).
fn journey_schema_validator(pointer: &str) -> jsonschema::Validator {
    let full: Json = serde_json::from_str(jexpr_journey::JOURNEY_SCHEMA).expect("journey schema");
    let schema = if pointer == "#" {
        full
    } else {
        serde_json::json!({"$ref": pointer, "$defs": full["$defs"]})
    };
    jsonschema::draft202012::new(&schema).expect("schema")
}

fn check_json(block: &Block, page: &str) {
    let at = format!("{page}:{}", block.line);
    let mut info = block.info.split_whitespace();
    let lang = info.next().unwrap_or("");
    let role = info.next().unwrap_or("");
    let catalog = block
        .info
        .split_whitespace()
        .find_map(|w| w.strip_prefix("catalog="))
        .unwrap_or("docs/examples/catalog.json");
    if lang == "jsonl" {
        for (i, line) in block.body.lines().enumerate() {
            if !line.trim().is_empty() {
                serde_json::from_str::<Json>(line)
                    .unwrap_or_else(|e| panic!("{at}, line {}: {e}", i + 1));
            }
        }
        return;
    }
    let doc: Json = serde_json::from_str(&block.body).unwrap_or_else(|e| panic!("{at}: {e}"));
    match role {
        "journey" => {
            let catalog = jexpr_journey::JourneyCatalog::load(&Path::new(ROOT).join(catalog))
                .unwrap_or_else(|p| panic!("{at}: catalog: {p:?}"));
            let (report, _) =
                jexpr_journey::check(&[("doc.json".into(), block.body.clone())], &catalog);
            assert!(!report.has_errors(), "{at}: {}", report.render());
            let v = journey_schema_validator("#");
            let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{at}: {errors:?}");
        }
        "node" => {
            let v = journey_schema_validator("#/$defs/node");
            let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{at}: {errors:?}");
        }
        "catalog" => {
            jexpr_journey::JourneyCatalog::from_json(
                &doc,
                &Path::new(ROOT).join("docs/catalog.json"),
            )
            .unwrap_or_else(|p| panic!("{at}: {p:?}"));
        }
        _ => {}
    }
}

fn scratch(page: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "jexpr-docs-{}-{}",
        page.replace(['/', '.'], "-"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for linked in ["docs", "examples"] {
        std::os::unix::fs::symlink(Path::new(ROOT).join(linked), dir.join(linked)).expect("link");
    }
    dir
}

fn check_page(path: &Path) -> usize {
    let page = path
        .strip_prefix(ROOT)
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).expect("page");
    let cwd = scratch(&page);
    let mut last_output: Option<String> = None;
    let mut checked = 0;
    for block in blocks(&text) {
        let at = format!("{page}:{}", block.line);
        if let Some(file) = &block.file {
            let content = std::fs::read_to_string(Path::new(ROOT).join(file))
                .unwrap_or_else(|e| panic!("{at}: {file}: {e}"));
            assert_eq!(
                trimmed(&block.body),
                trimmed(&content),
                "{at}: not the content of {file}"
            );
            checked += 1;
        }
        let lang = block.info.split_whitespace().next().unwrap_or("");
        match lang {
            "json" | "jsonl" => {
                check_json(&block, &page);
                checked += 1;
            }
            "sh" => {
                last_output = Some(run_sh(&block, &cwd, &page));
                checked += 1;
            }
            "text" if block.output => {
                let got = last_output
                    .as_deref()
                    .unwrap_or_else(|| panic!("{at}: output of what?"));
                assert_eq!(
                    trimmed(got),
                    trimmed(&block.body),
                    "{at}: the command printed something else"
                );
                checked += 1;
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(&cwd);
    checked
}

#[test]
fn every_page_of_the_docs_holds() {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    let mut total = 0;
    for page in &pages {
        total += check_page(page);
    }
    assert!(pages.len() >= 8, "{pages:?}");
    assert!(total >= 40, "only {total} blocks checked");
}

/// `docs/functions.md`, generated from the builtin table.
fn functions_page() -> String {
    let mut out = String::from(
        "# Functions\n\n<!-- Generated from the builtin table by crates/jexpr-cli/tests/docs.rs: \
         run `JEXPR_UPDATE_DOCS=1 cargo test -p jexpr-cli --test docs` after changing a function. -->\n\n\
         Every function of the expression language, by group, as `jexpr functions NAME` shows it. \
         Names are case sensitive. Unless a function says otherwise, a `null` argument makes \
         its result `null`. Every example here is checked by the project's tests.\n",
    );
    let all = jexpr::authoring::functions();
    let mut group = "";
    for f in &all {
        if f.category != group {
            group = f.category;
            out.push_str(&format!("\n## {group}\n"));
        }
        out.push_str(&format!("\n### `{}`\n\n", f.name));
        for s in &f.signatures {
            out.push_str(&format!("* `{s}`\n"));
        }
        out.push_str(&format!("\n{}\n\nNull: {}.\n", f.doc, f.nulls));
    }
    out
}

#[test]
fn the_functions_page_is_the_builtin_table() {
    let path = Path::new(ROOT).join("docs/functions.md");
    let generated = functions_page();
    if std::env::var_os("JEXPR_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/functions.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/functions.md is not the builtin table: run JEXPR_UPDATE_DOCS=1 cargo test -p jexpr-cli --test docs"
    );
}
