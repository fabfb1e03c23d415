//! `jexpr repl` with stdin piped: each session file is fed line by line and
//! the snapshot shows the input and the transcript.

use std::io::Write;
use std::process::{Command, Stdio};

fn transcript(input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(["repl", "--no-history"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jexpr repl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write input");
    let out = child.wait_with_output().expect("repl output");
    assert!(
        out.status.success(),
        "repl exited with {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // Timings vary from run to run and between debug and release builds;
    // keep the shape of the line, each number shown as `N`.
    text.lines()
        .map(|l| {
            if l.contains("evaluations/s") {
                let mut out = String::new();
                for c in l.chars() {
                    if !c.is_ascii_digit() {
                        out.push(c);
                    } else if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                out
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sessions() {
    insta::glob!("inputs/repl/*.session", |path| {
        let input = std::fs::read_to_string(path).expect("session file");
        insta::assert_snapshot!(format!(
            "input:\n{input}\ntranscript:\n{}",
            transcript(&input)
        ));
    });
}

#[test]
fn nothing_after_quit_is_read() {
    let out = transcript(":quit\n1 + 1\n");
    assert_eq!(out, "");
}
