//! A tolerant tokenizer. The pest grammar is the authority on syntax; this
//! lexer only feeds the pre-checks that must run before pest's recursive
//! descent (nesting depth, brackets, unterminated strings) and gives the
//! error explainer tokens to reason about ("what came before the failure?").

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    /// `[A-Za-z_][A-Za-z0-9_]*`
    Word,
    /// Digits, optionally `.digits`, plus any letters glued to them (`1e5`).
    Number,
    /// A quoted string; `terminated` is false when the input ends inside it.
    Str { terminated: bool },
    /// An operator or punctuation, including ones the language lacks (`&&`).
    Sym,
    /// A character no token starts with.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    pub span: Span,
}

impl Token {
    pub fn text(self, src: &str) -> &str {
        self.span.text(src)
    }
}

/// Longest first, so `==` wins over `=`.
const SYMBOLS: &[&str] = &[
    "@action{", "@{", "#{", "==", "!=", "<=", ">=", "<>", "&&", "||", "--", "//", "(", ")", "[",
    "]", "{", "}", ",", ":", ".", "<", ">", "=", "+", "-", "*", "/", "%", "!", "&", "|",
];

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { src, pos: 0 }
    }
}

fn is_word_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let bytes = self.src.as_bytes();
        while bytes.get(self.pos).is_some_and(|b| b" \t\r\n".contains(b)) {
            self.pos += 1;
        }
        let start = self.pos;
        let first = *bytes.get(start)?;
        let kind = if first.is_ascii_alphabetic() || first == b'_' {
            self.pos = scan_while(bytes, start, is_word_char);
            TokKind::Word
        } else if first.is_ascii_digit() {
            let mut end = scan_while(bytes, start, |b| b.is_ascii_digit());
            if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
                end = scan_while(bytes, end + 1, |b| b.is_ascii_digit());
            }
            self.pos = scan_while(bytes, end, is_word_char);
            TokKind::Number
        } else if first == b'"' || first == b'\'' {
            let mut i = start + 1;
            let mut terminated = false;
            while let Some(&b) = bytes.get(i) {
                if b == b'\\' {
                    i += 2;
                } else if b == first {
                    i += 1;
                    terminated = true;
                    break;
                } else {
                    i += 1;
                }
            }
            self.pos = i.min(bytes.len());
            TokKind::Str { terminated }
        } else if let Some(sym) = SYMBOLS.iter().find(|s| self.src[start..].starts_with(**s)) {
            self.pos = start + sym.len();
            TokKind::Sym
        } else {
            let width = self.src[start..].chars().next().map_or(1, char::len_utf8);
            self.pos = start + width;
            TokKind::Unknown
        };
        Some(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }
}

fn scan_while(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while bytes.get(i).is_some_and(|b| pred(*b)) {
        i += 1;
    }
    i
}

/// Is `tok` an opening bracket, and which closer does it expect?
pub fn closer_of(text: &str) -> Option<&'static str> {
    match text {
        "(" => Some(")"),
        "[" => Some("]"),
        "{" | "@{" | "#{" | "@action{" => Some("}"),
        _ => None,
    }
}

/// The brackets still open just before byte `at` (outermost first).
pub fn open_brackets(src: &str, at: usize) -> Vec<Token> {
    let mut stack: Vec<Token> = Vec::new();
    for tok in Lexer::new(src) {
        if tok.span.start as usize >= at {
            break;
        }
        let text = tok.text(src);
        if closer_of(text).is_some() {
            stack.push(tok);
        } else if matches!(text, ")" | "]" | "}") {
            stack.pop();
        }
    }
    stack
}

/// The last token that ends at or before `at`, and the first that starts at or after it.
pub fn around(src: &str, at: usize) -> (Option<Token>, Option<Token>) {
    let mut prev = None;
    for tok in Lexer::new(src) {
        if tok.span.end as usize <= at {
            prev = Some(tok);
        } else if tok.span.start as usize >= at {
            return (prev, Some(tok));
        } else {
            // `at` falls inside this token (e.g. pest failed mid-number).
            return (prev, Some(tok));
        }
    }
    (prev, None)
}
