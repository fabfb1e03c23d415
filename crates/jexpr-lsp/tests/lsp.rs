//! The language server through an in-memory connection, as an editor
//! drives it: open a journey file and an expression file, get their
//! problems, complete, hover, go to definition, shut down.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const CATALOG: &str = r#"{"events": {"Signup": {"fields": {"email": "string", "plan": "string"}, "profileId": "@{Signup.email}"}},
 "audiences": ["gold"],
 "actions": {"email": {"params": {"to": "string"}}}}"#;

const A: &str = r#"{
  "id": "a",
  "version": 1,
  "start": "s",
  "nodes": {
    "s": {"type": "event", "event": "Signup", "next": "c"},
    "c": {"type": "condition", "paths": [{"label": "pro", "when": "@{Signup.plna} == \"pro\"", "next": "send"}],
          "otherwise": "jump"},
    "send": {"type": "action", "action": "email", "params": {"to": "@{Signup.email}"}, "next": "done"},
    "jump": {"type": "jump", "journey": "b", "next": "done"},
    "done": {"type": "end"}
  }
}
"#;

const B: &str = r#"{"id": "b", "version": 1, "start": "s",
 "nodes": {"s": {"type": "event", "event": "Signup", "next": "e"}, "e": {"type": "end"}}}
"#;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("jexpr-lsp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::write(d.join("catalog.json"), CATALOG).expect("catalog");
    std::fs::write(d.join("a.journey.json"), A).expect("a");
    std::fs::write(d.join("b.journey.json"), B).expect("b");
    d
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.into(),
                params,
            )))
            .expect("send");
        loop {
            match self.conn.receiver.recv().expect("answer") {
                Message::Response(r) if r.id == id => {
                    assert!(r.error.is_none(), "{method}: {:?}", r.error);
                    return r.result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .expect("send");
    }

    /// The next diagnostics published.
    fn diagnostics(&self) -> Value {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().expect("message") {
                if n.method == "textDocument/publishDiagnostics" {
                    return n.params;
                }
            }
        }
    }

    fn open(&self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
        self.diagnostics()
    }
}

/// The line and character of the end of `marker`'s first occurrence.
fn after(text: &str, marker: &str) -> Value {
    let at = text.find(marker).expect("marker") + marker.len();
    let line = text[..at].matches('\n').count();
    let character = text[..at].rsplit('\n').next().unwrap_or("").chars().count();
    json!({"line": line, "character": character})
}

fn at(uri: &str, position: Value) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position})
}

fn labels(items: &Value) -> Vec<String> {
    let mut out: Vec<String> = items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn an_editor_session() {
    let d = dir();
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || jexpr_lsp::run(&server).map_err(|e| e.to_string()));
    let mut c = Client {
        conn: client,
        next: 0,
    };
    let init = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    c.notify("initialized", json!({}));

    // Problems of a journey file, at the misspelt field inside the string.
    let a = uri(&d.join("a.journey.json"));
    let published = c.open(&a, A);
    let diags = published["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 1, "{published}");
    assert_eq!(diags[0]["code"], "E0205");
    assert!(diags[0]["message"]
        .as_str()
        .expect("m")
        .contains("did you mean `plan`"));
    let start = after(A, r#""when": "@{Signup."#);
    assert_eq!(diags[0]["range"]["start"], start);
    assert_eq!(
        diags[0]["range"]["end"]["character"],
        start["character"].as_u64().expect("c") + 4
    );

    // Completion: node ids after "next", fields inside an expression,
    // catalog names for "event".
    let items = c.request(
        "textDocument/completion",
        at(&a, after(A, r#""otherwise": ""#)),
    );
    assert_eq!(labels(&items), ["c", "done", "jump", "s", "send"]);
    let items = c.request("textDocument/completion", at(&a, after(A, r#""@{Signup."#)));
    assert_eq!(labels(&items), ["email", "plan"]);
    let items = c.request("textDocument/completion", at(&a, after(A, r#""event": ""#)));
    assert_eq!(labels(&items), ["Signup"]);

    // Go to definition: a `next` to its node, a jump to the target's file.
    let found = c.request(
        "textDocument/definition",
        at(&a, after(A, r#""next": "se"#)),
    );
    assert_eq!(found["uri"], a);
    assert_eq!(found["range"]["start"], after(A, r#""send": "#));
    let found = c.request(
        "textDocument/definition",
        at(&a, after(A, r#""journey": ""#)),
    );
    assert_eq!(found["uri"], uri(&d.join("b.journey.json")));

    // Fixing the field clears the problem.
    let fixed = A.replace("plna", "plan");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": a, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(c.diagnostics()["diagnostics"], json!([]));

    // An expression file: its problem, a function's docs, an expression's type.
    let x = uri(&d.join("vip.jexpr"));
    let src = "count(@{Signup.plan}) > 1\n";
    let published = c.open(&x, src);
    assert_eq!(published["diagnostics"][0]["code"], "E0304", "{published}");
    let hover = c.request(
        "textDocument/hover",
        at(&x, json!({"line": 0, "character": 2})),
    );
    let text = hover["contents"]["value"].as_str().expect("hover");
    assert!(text.contains("count("), "{text}");
    let good = "@{Signup.plan} == \"pro\" and inAudience(\"gold\")\n";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": x, "version": 2}, "contentChanges": [{"text": good}]}),
    );
    assert_eq!(c.diagnostics()["diagnostics"], json!([]));
    let hover = c.request(
        "textDocument/hover",
        at(&x, json!({"line": 0, "character": 3})),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .expect("hover")
            .contains("`boolean`"),
        "{hover}"
    );
    let items = c.request(
        "textDocument/completion",
        at(&x, json!({"line": 0, "character": 2})),
    );
    assert_eq!(labels(&items), ["Signup", "journey"]);

    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(thread.join().expect("server thread"), Ok(()));
}
