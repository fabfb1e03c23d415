//! Where a cursor is in a JSON text that may be half-typed: the path of
//! keys and indexes to the value around it, and the string it is in. A
//! tolerant scan from the start (no tree is built, nothing must be valid
//! after the cursor).

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// The string the cursor is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InString {
    /// The byte offset of its opening quote.
    pub start: usize,
    /// Whether it is an object key (rather than a value).
    pub is_key: bool,
    /// The path to the value it is (for a key: to the object).
    pub path: Vec<Seg>,
}

enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

fn path_of(stack: &[Frame]) -> Vec<Seg> {
    stack
        .iter()
        .filter_map(|f| match f {
            Frame::Object { key: Some(k), .. } => Some(Seg::Key(k.clone())),
            Frame::Object { key: None, .. } => None,
            Frame::Array { index } => Some(Seg::Index(*index)),
        })
        .collect()
}

/// The string the byte offset `cursor` is inside of (after its opening
/// quote, up to and including its closing one), if it is in one.
pub fn string_at(text: &str, cursor: usize) -> Option<InString> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() && i < cursor {
        match bytes[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b'"' => {
                let start = i;
                let mut j = i + 1;
                let mut decoded = String::new();
                let mut closed = false;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => {
                            j += 2;
                            continue;
                        }
                        b'"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let end = j.min(bytes.len());
                if let Some(raw) = text.get(start + 1..end) {
                    decoded = serde_json::from_str::<String>(&format!("\"{raw}\""))
                        .unwrap_or_else(|_| raw.to_string());
                }
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
                // Inside: past the opening quote, not past the closing one.
                if cursor > start && (cursor <= end || !closed) {
                    return Some(InString {
                        start,
                        is_key,
                        path: path_of(&stack),
                    });
                }
                if is_key {
                    if let Some(Frame::Object { key, .. }) = stack.last_mut() {
                        *key = Some(decoded);
                    }
                }
                i = end + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, marker: &str) -> Option<InString> {
        let cursor = text.find(marker).expect("marker") + marker.len();
        string_at(text, cursor)
    }

    #[test]
    fn finds_the_value_string_and_its_path() {
        let text = r#"{"nodes": {"a": {"type": "condition", "paths": [{"when": "@{E.x} > 1", "next": "b"}]}}}"#;
        let s = at(text, "@{E.").expect("in a string");
        assert!(!s.is_key);
        assert_eq!(
            s.path,
            vec![
                Seg::Key("nodes".into()),
                Seg::Key("a".into()),
                Seg::Key("paths".into()),
                Seg::Index(0),
                Seg::Key("when".into())
            ]
        );
        let next = at(text, r#""next": "b"#).expect("in next");
        assert_eq!(next.path.last(), Some(&Seg::Key("next".into())));
        let key = at(text, r#""typ"#).expect("in a key");
        assert!(key.is_key);
        assert_eq!(at(text, r#""nodes": "#), None);
    }

    #[test]
    fn a_half_typed_file_still_has_a_place() {
        let text = r#"{"nodes": {"a": {"type": "action", "next": "d"#;
        let s = at(text, r#""next": "d"#).expect("in next");
        assert_eq!(
            s.path,
            vec![
                Seg::Key("nodes".into()),
                Seg::Key("a".into()),
                Seg::Key("next".into())
            ]
        );
    }
}
