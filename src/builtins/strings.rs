//! Strings (positions and lengths count Unicode code points).

use super::args;
use super::signature::{c, p, Check, Ty::*};
use super::{pure, sig, Builtin, Category::Strings, Env, Nulls};
use crate::value::{ops, Value};
use std::fmt::Write;

type R<'a> = Result<Value<'a>, std::string::String>;

fn two<'v>(args: &'v [Value<'_>]) -> Result<(&'v str, &'v str), std::string::String> {
    Ok((args::string(args, 0)?, args::string(args, 1)?))
}

fn lower(s: &str) -> std::string::String {
    s.to_lowercase()
}

fn concat<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let (a, b) = two(args)?;
    Ok(Value::string(format!("{a}{b}")))
}

fn concat_list<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let items = args::take_list(args, 0)?;
    let size: usize = items.iter().map(|i| i.as_str().map_or(0, str::len)).sum();
    if size > ops::MAX_STRING_BYTES {
        return Err(ops::too_large("string", size));
    }
    let mut out = std::string::String::with_capacity(size);
    for item in items {
        out.push_str(item.as_str().unwrap_or(""));
    }
    Ok(Value::string(out))
}

macro_rules! string_tests {
    ($($name:ident($a:ident, $b:ident) => $body:expr;)*) => {
        $(fn $name<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
            let ($a, $b) = two(args)?;
            Ok(Value::Bool($body))
        })*
    };
}

string_tests! {
    contain(s, sub) => s.contains(sub);
    contain_ignore_case(s, sub) => lower(s).contains(&lower(sub));
    start_with(s, p) => s.starts_with(p);
    start_with_ignore_case(s, p) => lower(s).starts_with(&lower(p));
    end_with(s, p) => s.ends_with(p);
    end_with_ignore_case(s, p) => lower(s).ends_with(&lower(p));
    equal_ignore_case(a, b) => lower(a) == lower(b);
    not_equal_ignore_case(a, b) => lower(a) != lower(b);
}

/// Byte offset → code-point index.
fn char_index(s: &str, byte: usize) -> i64 {
    s.get(..byte)
        .map_or(0, |prefix| prefix.chars().count() as i64)
}

fn index_of<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let (s, sub) = two(args)?;
    Ok(Value::Int(s.find(sub).map_or(-1, |b| char_index(s, b))))
}

fn last_index_of<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let (s, sub) = two(args)?;
    Ok(Value::Int(s.rfind(sub).map_or(-1, |b| char_index(s, b))))
}

fn is_empty<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Bool(
        args::get(args, 0).as_str().is_none_or(str::is_empty),
    ))
}

fn is_not_empty<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Bool(
        args::get(args, 0).as_str().is_some_and(|s| !s.is_empty()),
    ))
}

fn length<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(args::string(args, 0)?.chars().count() as i64))
}

fn to_lower<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::string(lower(args::string(args, 0)?)))
}

fn to_upper<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::string(args::string(args, 0)?.to_uppercase()))
}

/// Java's `trim`: code points up to U+0020 at both ends.
fn trim<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(match args::take_string(args, 0)? {
        std::borrow::Cow::Borrowed(s) => Value::str(s.trim_matches(|c: char| c <= ' ')),
        std::borrow::Cow::Owned(s) => Value::string(s.trim_matches(|c: char| c <= ' ').to_string()),
    })
}

fn match_reg_exp<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let re = args::regex(args, 1)?;
    Ok(Value::Bool(re.is_match(args::string(args, 0)?)))
}

fn replace<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let re = args::regex(args, 1)?;
    let (s, with) = (args::string(args, 0)?, args::string(args, 2)?);
    Ok(Value::string(re.replacen(s, 1, with).into_owned()))
}

fn replace_all<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let re = args::regex(args, 1)?;
    let (s, with) = (args::string(args, 0)?, args::string(args, 2)?);
    // Built piece by piece so the size cap is checked as it grows (an empty
    // pattern matches at every position); expansion as `Regex::replace_all`.
    let mut out = std::string::String::new();
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(s.get(last..m.start()).unwrap_or(""));
        caps.expand(with, &mut out);
        last = m.end();
        if out.len() > ops::MAX_STRING_BYTES {
            return Err(ops::too_large("string", out.len()));
        }
    }
    out.push_str(s.get(last..).unwrap_or(""));
    Ok(Value::string(out))
}

/// Java's `String.split`: trailing empty strings removed; no match leaves the input whole.
fn split<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let re = args::regex(args, 1)?;
    let s = args::string(args, 0)?;
    if s.is_empty() {
        return Ok(Value::List(vec![Value::string(std::string::String::new())]));
    }
    let pieces = re.find_iter(s).count().saturating_add(1);
    if pieces > ops::MAX_LIST_LEN {
        return Err(ops::too_large("list", pieces));
    }
    let mut parts: Vec<&str> = re.split(s).collect();
    // A zero-width match at the very start yields no leading empty string (Java 8+).
    if parts.len() > 1
        && parts.first() == Some(&"")
        && re.find(s).is_some_and(|m| m.start() == 0 && m.end() == 0)
    {
        parts.remove(0);
    }
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        parts.clear();
    }
    Ok(Value::List(
        parts
            .into_iter()
            .map(|p| Value::string(p.to_string()))
            .collect(),
    ))
}

fn substr_impl<'a>(s: &str, begin: i64, end: Option<i64>) -> Value<'a> {
    let len = s.chars().count() as i64;
    let begin = begin.clamp(0, len);
    let end = end.unwrap_or(len).clamp(0, len);
    if begin >= end {
        return Value::string(std::string::String::new());
    }
    Value::string(
        s.chars()
            .skip(begin as usize)
            .take((end - begin) as usize)
            .collect(),
    )
}

fn substr<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(substr_impl(
        args::string(args, 0)?,
        args::int(args, 1)?,
        None,
    ))
}

fn substr_range<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(substr_impl(
        args::string(args, 0)?,
        args::int(args, 1)?,
        Some(args::int(args, 2)?),
    ))
}

/// A version 4 UUID from the seeded generator.
fn uuid<'a>(_: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    let hi = (env.next_random() & !0xF000) | 0x4000;
    let lo = (env.next_random() & !(0xC000 << 48)) | (0x8000 << 48);
    let mut out = std::string::String::with_capacity(36);
    let hex = format!("{hi:016x}{lo:016x}");
    for (i, ch) in hex.chars().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        let _ = out.write_char(ch);
    }
    Ok(Value::string(out))
}

const fn handles_null(name: &'static str, overloads: &'static [super::Overload]) -> Builtin {
    Builtin {
        name,
        category: Strings,
        overloads,
        nulls: Nulls::Handle,
        pure: true,
        doc: "",
    }
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    pure(
        "concat",
        Strings,
        &[
            sig(&[p(String), p(String)], String, concat),
            sig(&[p(ListString)], String, concat_list),
        ],
    )
    .doc("`concat(\"Hello\",\"World\")` → \"HelloWorld\"; `concat([\"Hello\",\" \",\"World\"])` → \"Hello World\""),
    pure(
        "contain",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, contain)],
    )
    .doc("`contain(\"rowing is great\", \"great\")` → true; `containIgnoreCase(\"rowing is great\", \"GREAT\")` → true"),
    pure(
        "containIgnoreCase",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, contain_ignore_case)],
    )
    .doc("`contain(\"rowing is great\", \"great\")` → true; `containIgnoreCase(\"rowing is great\", \"GREAT\")` → true"),
    pure(
        "startWith",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, start_with)],
    )
    .doc("`startWith(\"Hello World\", \"Hello\")` → true; `startWith(\"Hello World\", \"World\")` → false; `startWithIgnoreCase(\"rowing is great\", \"RO\")` → true"),
    pure(
        "startWithIgnoreCase",
        Strings,
        &[sig(
            &[p(String), p(String)],
            Boolean,
            start_with_ignore_case,
        )],
    )
    .doc("`startWith(\"Hello World\", \"Hello\")` → true; `startWith(\"Hello World\", \"World\")` → false; `startWithIgnoreCase(\"rowing is great\", \"RO\")` → true"),
    pure(
        "endWith",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, end_with)],
    )
    .doc("`endWith(\"Hello World\", \"World\")` → true; `endWithIgnoreCase(\"rowing is great\", \"AT\")` → true"),
    pure(
        "endWithIgnoreCase",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, end_with_ignore_case)],
    )
    .doc("`endWith(\"Hello World\", \"World\")` → true; `endWithIgnoreCase(\"rowing is great\", \"AT\")` → true"),
    pure(
        "equalIgnoreCase",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, equal_ignore_case)],
    )
    .doc("Whether two strings are equal, ignoring case: `equalIgnoreCase(\"rowing is great\", \"rowing is GREAT\")` → true"),
    pure(
        "notEqualIgnoreCase",
        Strings,
        &[sig(&[p(String), p(String)], Boolean, not_equal_ignore_case)],
    )
    .doc("Whether two strings differ, ignoring case: `notEqualIgnoreCase(\"rowing is great\", \"rowing is GREAT\")` → false"),
    pure(
        "indexOf",
        Strings,
        &[sig(&[p(String), p(String)], Integer, index_of)],
    )
    .doc("integer, −1 if absent: `indexOf(\"Hello\", \"l\")` → 2; `lastIndexOf(\"Hello\", \"l\")` → 3"),
    pure(
        "lastIndexOf",
        Strings,
        &[sig(&[p(String), p(String)], Integer, last_index_of)],
    )
    .doc("integer, −1 if absent: `indexOf(\"Hello\", \"l\")` → 2; `lastIndexOf(\"Hello\", \"l\")` → 3"),
    handles_null("isEmpty", &[sig(&[p(String)], Boolean, is_empty)])
    .doc("`isEmpty(\"\")` → true; `isNotEmpty(\"hello\")` → true; on `null`: isEmpty → true, isNotEmpty → false [jexpr]"),
    handles_null("isNotEmpty", &[sig(&[p(String)], Boolean, is_not_empty)])
    .doc("`isEmpty(\"\")` → true; `isNotEmpty(\"hello\")` → true; on `null`: isEmpty → true, isNotEmpty → false [jexpr]"),
    pure("length", Strings, &[sig(&[p(String)], Integer, length)])
    .doc("`length(\"Hello World\")` → 11"),
    pure("lower", Strings, &[sig(&[p(String)], String, to_lower)])
    .doc("The string in lower case: `lower(\"A\")` → \"a\""),
    pure("upper", Strings, &[sig(&[p(String)], String, to_upper)])
    .doc("The string in upper case: `upper(\"b\")` → \"B\""),
    pure("trim", Strings, &[sig(&[p(String)], String, trim)])
    .doc("The string without leading and trailing white space: `trim(\" Hello \")` → \"Hello\""),
    pure(
        "matchRegExp",
        Strings,
        &[sig(
            &[p(String), c(String, Check::Regex)],
            Boolean,
            match_reg_exp,
        )],
    )
    .doc("true if the regex matches anywhere in `s` (use `^…$` to anchor) [jexpr]"),
    pure(
        "replace",
        Strings,
        &[sig(
            &[p(String), c(String, Check::Regex), p(String)],
            String,
            replace,
        )],
    )
    .doc("first / every match replaced; `$1` refers to a group: `replace(\"Hello World\", \"l\", \"x\")` → \"Hexlo World\"; `replaceAll(\"Hello World\", \"l\", \"x\")` → \"Hexxo Worxd\"; `replace(\"|OFFER_A|OFFER_B\", \"\\\\|OFFER_A\", \"\")` → \"|OFFER_B\""),
    pure(
        "replaceAll",
        Strings,
        &[sig(
            &[p(String), c(String, Check::Regex), p(String)],
            String,
            replace_all,
        )],
    )
    .doc("first / every match replaced; `$1` refers to a group: `replace(\"Hello World\", \"l\", \"x\")` → \"Hexlo World\"; `replaceAll(\"Hello World\", \"l\", \"x\")` → \"Hexxo Worxd\"; `replace(\"|OFFER_A|OFFER_B\", \"\\\\|OFFER_A\", \"\")` → \"|OFFER_B\""),
    pure(
        "split",
        Strings,
        &[sig(
            &[p(String), c(String, Check::Regex)],
            ListString,
            split,
        )],
    )
    .doc("listString; trailing empty strings are removed (Java): `split(\"20.45.2.3434\", \"\\\\.\")` → `[\"20\",\"45\",\"2\",\"3434\"]`; `split(\"a,b,,\", \",\")` → `[\"a\",\"b\"]`"),
    pure(
        "substr",
        Strings,
        &[
            sig(&[p(String), p(Integer)], String, substr),
            sig(&[p(String), p(Integer), p(Integer)], String, substr_range),
        ],
    )
    .doc("end exclusive; indexes clamped into the string, begin > end → \"\" [jexpr]: `substr(\"Hello World\", 6)` → \"World\"; `substr(\"Hello World\", 0, 5)` → \"Hello\""),
    Builtin {
        name: "uuid",
        category: Strings,
        overloads: &[sig(&[], String, uuid)],
        nulls: Nulls::Propagate,
        pure: false,
        doc: "random v4 UUID string (seedable)",
    },
];
