//! The type model of LANGUAGE.md section 3, with the display names the spec
//! and the CLI use (`listString`, `map<string>`, …).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The fields of an object type, by name.
pub type Fields = BTreeMap<String, Type>;

/// Deepest `list<…>`/`map<…>` nesting a type name may have.
const MAX_NAME_NESTING: usize = 32;

/// The static types of LANGUAGE.md section 3.
#[derive(Clone, PartialEq, Debug)]
pub enum Type {
    /// The type of the `null` literal, and of fields absent from sample data.
    Null,
    /// `string`.
    String,
    /// `integer` (64-bit).
    Integer,
    /// `decimal` (64-bit floating point).
    Decimal,
    /// `boolean`.
    Boolean,
    /// `dateTime`: an instant with an offset or zone.
    DateTime,
    /// `dateTimeOnly`: a local date-time.
    DateTimeOnly,
    /// `dateOnly`.
    DateOnly,
    /// `duration`.
    Duration,
    /// A list of the element type; `List(Null)` is the empty list literal.
    List(Arc<Type>),
    /// An object with known fields.
    Object(Arc<Fields>),
    /// A map from string keys to values of one type.
    Map(Arc<Type>),
}

impl Type {
    /// `listX` of `elem`.
    pub fn list(elem: Type) -> Type {
        Type::List(Arc::new(elem))
    }

    /// An object type of these fields.
    pub fn object(fields: Fields) -> Type {
        Type::Object(Arc::new(fields))
    }

    /// Whether values of this type have an order (`<`, `sort`, `max`, …):
    /// numbers, dates and durations.
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Type::Integer
                | Type::Decimal
                | Type::DateTime
                | Type::DateTimeOnly
                | Type::DateOnly
                | Type::Duration
        )
    }

    /// `integer` or `decimal`.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal)
    }

    /// Not a list, object or map.
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Type::List(_) | Type::Object(_) | Type::Map(_))
    }

    /// The element type of a list.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(elem) => Some(elem),
            _ => None,
        }
    }

    /// May a value of type `self` stand where `other` is expected?
    /// `null` fits anywhere; an empty list fits any list; object types are
    /// structural (an object with the fields asked for, or more).
    pub fn fits(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Null, _) => true,
            (Type::List(a), Type::List(b)) => **a == Type::Null || a.fits(b),
            (Type::Map(a), Type::Map(b)) => a.fits(b),
            (Type::Object(_), Type::Object(_)) => true,
            (a, b) => a == b,
        }
    }

    /// The common type of two values that meet (list elements, `if` branches):
    /// equal types, null with anything, or `None`.
    pub fn unify(&self, other: &Type) -> Option<Type> {
        match (self, other) {
            (Type::Null, t) | (t, Type::Null) => Some(t.clone()),
            (Type::List(a), Type::List(b)) => a.unify(b).map(Type::list),
            (Type::Map(a), Type::Map(b)) => a.unify(b).map(|t| Type::Map(Arc::new(t))),
            (Type::Object(a), Type::Object(b)) => Some(Type::Object(merge_fields(a, b))),
            (a, b) if a == b => Some(a.clone()),
            _ => None,
        }
    }

    /// Parses a display name (`listString`, `map<integer>`, …).
    pub fn from_name(name: &str) -> Option<Type> {
        let scalar = |n: &str| -> Option<Type> {
            Some(match n {
                "null" => Type::Null,
                "string" => Type::String,
                "integer" => Type::Integer,
                "decimal" => Type::Decimal,
                "boolean" => Type::Boolean,
                "dateTime" => Type::DateTime,
                "dateTimeOnly" => Type::DateTimeOnly,
                "dateOnly" => Type::DateOnly,
                "duration" => Type::Duration,
                "object" => Type::object(Fields::new()),
                _ => return None,
            })
        };
        // Peel `map<…>` / `list<…>` wrappers in a loop (a name may be long),
        // then wrap the innermost type back; deeper than MAX_NAME_NESTING is
        // no real schema.
        let mut wrappers = Vec::new();
        let mut name = name;
        loop {
            if let Some(inner) = name.strip_prefix("map<").and_then(|r| r.strip_suffix('>')) {
                wrappers.push(true);
                name = inner;
            } else if let Some(inner) = name.strip_prefix("list<").and_then(|r| r.strip_suffix('>'))
            {
                wrappers.push(false);
                name = inner;
            } else {
                break;
            }
            if wrappers.len() > MAX_NAME_NESTING {
                return None;
            }
        }
        let mut t = if let Some(rest) = name.strip_prefix("list") {
            let mut chars = rest.chars();
            let first = chars.next()?.to_ascii_lowercase();
            let elem = format!("{first}{}", chars.as_str());
            scalar(&elem).filter(|t| *t != Type::Null).map(Type::list)?
        } else {
            scalar(name)?
        };
        for map in wrappers.into_iter().rev() {
            t = if map {
                Type::Map(Arc::new(t))
            } else {
                Type::list(t)
            };
        }
        Some(t)
    }

    /// The names `from_name` accepts, for suggestions.
    pub const NAMES: &'static [&'static str] = &[
        "string",
        "integer",
        "decimal",
        "boolean",
        "dateTime",
        "dateTimeOnly",
        "dateOnly",
        "duration",
        "object",
        "listString",
        "listInteger",
        "listDecimal",
        "listBoolean",
        "listDateTime",
        "listDateTimeOnly",
        "listDateOnly",
        "listDuration",
        "listObject",
        "null",
    ];
}

fn merge_fields(a: &Arc<Fields>, b: &Arc<Fields>) -> Arc<Fields> {
    if Arc::ptr_eq(a, b) || b.is_empty() {
        return a.clone();
    }
    let mut merged = (**a).clone();
    for (k, v) in b.iter() {
        let t = match merged.get(k) {
            Some(existing) => existing.unify(v).unwrap_or_else(|| existing.clone()),
            None => v.clone(),
        };
        merged.insert(k.clone(), t);
    }
    Arc::new(merged)
}

impl Type {
    /// The type's name with its article, for messages: "an `integer`", "a `string`".
    pub fn with_article(&self) -> String {
        let name = self.to_string();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} `{name}`")
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Type::Null => "null",
            Type::String => "string",
            Type::Integer => "integer",
            Type::Decimal => "decimal",
            Type::Boolean => "boolean",
            Type::DateTime => "dateTime",
            Type::DateTimeOnly => "dateTimeOnly",
            Type::DateOnly => "dateOnly",
            Type::Duration => "duration",
            Type::Object(_) => "object",
            Type::Map(value) => return write!(f, "map<{value}>"),
            Type::List(elem) => {
                return match &**elem {
                    Type::Null => write!(f, "list"),
                    Type::List(_) | Type::Map(_) => write!(f, "list<{elem}>"),
                    other => {
                        let name = other.to_string();
                        let mut chars = name.chars();
                        let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('?');
                        write!(f, "list{first}{}", chars.as_str())
                    }
                };
            }
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in Type::NAMES {
            let t = Type::from_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(t.to_string(), *name);
        }
        assert_eq!(
            Type::from_name("map<listString>")
                .map(|t| t.to_string())
                .as_deref(),
            Some("map<listString>")
        );
        assert_eq!(Type::from_name("listNull"), None);
        assert_eq!(Type::from_name("String"), None);
    }

    #[test]
    fn null_fits_everything_and_lists_are_typed() {
        assert!(Type::Null.fits(&Type::Integer));
        assert!(Type::list(Type::Null).fits(&Type::list(Type::String)));
        assert!(!Type::list(Type::Integer).fits(&Type::list(Type::String)));
        assert!(!Type::Integer.fits(&Type::Decimal));
        assert_eq!(Type::Integer.unify(&Type::Decimal), None);
    }
}
