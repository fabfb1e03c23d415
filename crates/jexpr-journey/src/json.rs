//! Journey and catalog files read as JSON with every key given once. A
//! parsed JSON object keeps only the last of repeated keys, so a node id
//! written twice silently lost the first node; here the repeat is an error
//! at its JSON pointer.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::fmt;

/// Why a file is not a JSON document with unique keys.
#[derive(Debug)]
pub enum JsonProblem {
    /// Not valid JSON (serde_json's message, with line and column).
    Syntax(String),
    /// A key given twice in one object: the pointer of the repeated key.
    Repeated {
        /// JSON pointer of the key (`/nodes/send`).
        pointer: String,
        /// The key.
        key: String,
    },
}

/// Parses `text`, refusing an object that gives a key twice.
pub fn parse(text: &str) -> Result<Json, JsonProblem> {
    let path = RefCell::new(Vec::new());
    let repeated = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = ValueSeed {
        path: &path,
        repeated: &repeated,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    if let Some((pointer, key)) = repeated.into_inner() {
        return Err(JsonProblem::Repeated { pointer, key });
    }
    parsed.map_err(|e| JsonProblem::Syntax(e.to_string()))
}

/// The problem a journey or catalog file reports: J001 for invalid JSON,
/// J002 for a repeated key.
pub fn to_problem(problem: JsonProblem, file: &str) -> crate::Problem {
    match problem {
        JsonProblem::Syntax(e) => {
            crate::Problem::error("J001", file, "", format!("not valid JSON: {e}"))
        }
        JsonProblem::Repeated { pointer, key } => crate::Problem::error(
            "J002",
            file,
            &pointer,
            format!("`{key}` is given twice in one object: only one can be kept"),
        ),
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    /// The keys and indexes from the root to the value being read.
    path: &'a RefCell<Vec<String>>,
    /// The first repeated key found: (pointer, key).
    repeated: &'a RefCell<Option<(String, String)>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut out = Vec::new();
        loop {
            self.path.borrow_mut().push(out.len().to_string());
            let next = seq.next_element_seed(self);
            self.path.borrow_mut().pop();
            match next? {
                Some(v) => out.push(v),
                None => return Ok(Json::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.path.borrow_mut().push(escape(&key));
            if out.contains_key(&key) {
                let pointer: String = self.path.borrow().iter().map(|k| format!("/{k}")).collect();
                *self.repeated.borrow_mut() = Some((pointer, key.clone()));
                return Err(serde::de::Error::custom(format!("`{key}` is given twice")));
            }
            let value = map.next_value_seed(self);
            self.path.borrow_mut().pop();
            out.insert(key, value?);
        }
        Ok(Json::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, JsonProblem};

    #[test]
    fn a_repeated_key_is_found_at_its_pointer() {
        let text = r#"{"nodes": {"a": {"type": "end"}, "b/c": [1, {"x": 1, "x": 2}]}}"#;
        match parse(text) {
            Err(JsonProblem::Repeated { pointer, key }) => {
                assert_eq!((pointer.as_str(), key.as_str()), ("/nodes/b~1c/1/x", "x"));
            }
            other => panic!("{other:?}"),
        }
        let text = r#"{"nodes": {"a": {"type": "end"}, "a": {"type": "wait"}}}"#;
        assert!(
            matches!(parse(text), Err(JsonProblem::Repeated { pointer, .. }) if pointer == "/nodes/a")
        );
    }

    #[test]
    fn valid_documents_read_as_serde_json_reads_them() {
        for text in [
            r#"{"a": [1, -2, 3.5, 1e400, "s", true, null, {"b": {}}], "c": 18446744073709551615}"#,
            "[]",
            "\"x\"",
        ] {
            let strict = parse(text).map_err(|e| format!("{e:?}"));
            let plain: Result<serde_json::Value, _> = serde_json::from_str(text);
            match plain {
                Ok(v) => assert_eq!(strict, Ok(v), "{text}"),
                Err(_) => assert!(strict.is_err(), "{text}"),
            }
        }
        assert!(matches!(parse("{\"a\": 1,}"), Err(JsonProblem::Syntax(_))));
        assert!(matches!(parse("{} {}"), Err(JsonProblem::Syntax(_))));
    }
}

/// Where the value at `pointer` starts in `text` (a byte offset), found by
/// walking the raw JSON: for line and column numbers an editor can jump to.
pub fn locate(text: &str, pointer: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if pointer.is_empty() {
        return Some(at);
    }
    for token in pointer.strip_prefix('/')?.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        match bytes.get(at)? {
            b'{' => {
                at = skip_ws(bytes, at + 1);
                loop {
                    if *bytes.get(at)? != b'"' {
                        return None;
                    }
                    let key_end = skip_string(bytes, at)?;
                    let key: String = serde_json::from_str(text.get(at..key_end)?).ok()?;
                    at = skip_ws(bytes, key_end);
                    if *bytes.get(at)? != b':' {
                        return None;
                    }
                    at = skip_ws(bytes, at + 1);
                    if key == token {
                        break;
                    }
                    at = skip_ws(bytes, skip_value(bytes, at, 0)?);
                    match bytes.get(at)? {
                        b',' => at = skip_ws(bytes, at + 1),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                at = skip_ws(bytes, at + 1);
                for _ in 0..index {
                    at = skip_ws(bytes, skip_value(bytes, at, 0)?);
                    match bytes.get(at)? {
                        b',' => at = skip_ws(bytes, at + 1),
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    Some(at)
}

/// The byte offset in `text` of the character `decoded` bytes into the
/// JSON string that starts (with its quote) at `start`: escapes like `\"`
/// are longer in the file than in the value.
pub fn offset_in_string(text: &str, start: usize, decoded: usize) -> Option<usize> {
    let raw = text.get(start + 1..)?;
    let mut seen = 0;
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if seen >= decoded || c == '"' {
            return Some(start + 1 + i);
        }
        if c == '\\' {
            match chars.next()? {
                (_, 'u') => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, h)| h))
                        .collect();
                    let code = u32::from_str_radix(&hex, 16).ok()?;
                    seen += char::from_u32(code).map_or(3, char::len_utf8);
                }
                _ => seen += 1,
            }
        } else {
            seen += c.len_utf8();
        }
    }
    None
}

/// Where the value at `pointer` starts and ends in `text` (byte offsets).
pub fn value_span(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let start = locate(text, pointer)?;
    let end = skip_value(text.as_bytes(), start, 0)?;
    Some((start, end))
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
        at += 1;
    }
    at
}

/// The end (after the closing quote) of the string starting at `at`.
fn skip_string(bytes: &[u8], mut at: usize) -> Option<usize> {
    at += 1;
    loop {
        match bytes.get(at)? {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
}

/// The end of the value starting at `at` (bounded nesting).
fn skip_value(bytes: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth > 256 {
        return None;
    }
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        open @ (b'{' | b'[') => {
            let close = if *open == b'{' { b'}' } else { b']' };
            let mut i = skip_ws(bytes, at + 1);
            if *bytes.get(i)? == close {
                return Some(i + 1);
            }
            loop {
                if *open == b'{' {
                    i = skip_ws(bytes, skip_string(bytes, i)?);
                    if *bytes.get(i)? != b':' {
                        return None;
                    }
                    i = skip_ws(bytes, i + 1);
                }
                i = skip_ws(bytes, skip_value(bytes, i, depth + 1)?);
                match *bytes.get(i)? {
                    b',' => i = skip_ws(bytes, i + 1),
                    c if c == close => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => {
            let mut i = at;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

#[cfg(test)]
mod position_tests {
    use super::*;

    #[test]
    fn a_pointer_finds_its_value_and_an_escaped_string_its_character() {
        let text =
            "{\n  \"a\": [1, {\"b~c\": 2, \"x/y\": \"say \\\"hi\\\" @{E.f}\"}],\n  \"n\": null\n}";
        let at = locate(text, "/a/1/x~1y").expect("found");
        assert_eq!(&text[at..at + 5], "\"say ");
        assert_eq!(line_column(text, at), (2, 30));
        // `@` is 9 characters into the value `say "hi" @{E.f}`, 11 in the file.
        let inner = offset_in_string(text, at, 9).expect("inside");
        assert_eq!(&text[inner..inner + 2], "@{");
        assert_eq!(
            locate(text, "/a/1/b~0c").map(|i| &text[i..i + 1]),
            Some("2")
        );
        assert_eq!(locate(text, "/n").map(|i| &text[i..i + 4]), Some("null"));
        assert_eq!(locate(text, "/missing"), None);
        assert_eq!(locate(text, "/a/7"), None);
    }
}
