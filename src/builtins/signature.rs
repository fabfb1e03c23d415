//! Signature types and overload matching, shared by every builtin category.

use crate::types::Type;
use std::fmt;

/// A parameter or result type in a builtin signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    String,
    Integer,
    Decimal,
    Boolean,
    DateTime,
    DateTimeOnly,
    DateOnly,
    Duration,
    /// integer or decimal.
    Num,
    /// Any scalar (not a list, object or map).
    Scalar,
    /// Any list.
    AnyList,
    ListString,
    ListInteger,
    ListDecimal,
    ListObject,
    /// A type variable, bound by the first argument that mentions it.
    T,
    /// A list of `T`.
    ListT,
    /// A comparable scalar (number, duration, date or time), bound to `T`.
    Ordered,
    /// A list of comparable scalars, its element bound to `T`.
    ListOrdered,
    /// listInteger or listDecimal, its element bound to `T`.
    ListNum,
}

/// What the checker must verify about a constant argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    None,
    /// Must be a string constant naming an audience.
    Audience,
    /// A zone id: validated when constant.
    Zone,
    /// A zone id that must be a constant.
    ConstZone,
    /// A regular expression: compiled once when constant.
    Regex,
    /// Text of a dateTime / dateTimeOnly / dateOnly / duration, validated when constant.
    DateTimeText,
    DateTimeOnlyText,
    DateOnlyText,
    DurationText,
    /// `years|months|days|hours|minutes|seconds`, validated when constant.
    TimeUnit,
}

#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub ty: Ty,
    pub check: Check,
}

pub const fn p(ty: Ty) -> Param {
    Param {
        ty,
        check: Check::None,
    }
}

pub const fn c(ty: Ty, check: Check) -> Param {
    Param { ty, check }
}

impl Ty {
    fn fixed(self) -> Option<Type> {
        Some(match self {
            Ty::String => Type::String,
            Ty::Integer => Type::Integer,
            Ty::Decimal => Type::Decimal,
            Ty::Boolean => Type::Boolean,
            Ty::DateTime => Type::DateTime,
            Ty::DateTimeOnly => Type::DateTimeOnly,
            Ty::DateOnly => Type::DateOnly,
            Ty::Duration => Type::Duration,
            _ => return None,
        })
    }

    /// Does `arg` fit this parameter? Binds `T` as a side effect.
    pub fn accepts(self, arg: &Type, bound: &mut Option<Type>) -> bool {
        if *arg == Type::Null {
            return true;
        }
        let elem = arg.element();
        let elem_is = |want: Type| elem.is_some_and(|e| *e == want || *e == Type::Null);
        let mut bind = |t: &Type| -> bool {
            if *t == Type::Null {
                return true;
            }
            match bound {
                None => {
                    *bound = Some(t.clone());
                    true
                }
                Some(b) => match b.unify(t) {
                    Some(u) => {
                        *bound = Some(u);
                        true
                    }
                    None => false,
                },
            }
        };
        match self {
            Ty::Num => arg.is_numeric(),
            Ty::Scalar => arg.is_scalar(),
            Ty::AnyList => elem.is_some(),
            Ty::ListString => elem_is(Type::String),
            Ty::ListInteger => elem_is(Type::Integer),
            Ty::ListDecimal => elem_is(Type::Decimal),
            Ty::ListObject => elem.is_some_and(|e| matches!(e, Type::Object(_) | Type::Null)),
            Ty::T => bind(arg),
            Ty::ListT => elem.is_some_and(&mut bind),
            Ty::Ordered => arg.is_ordered() && bind(arg),
            Ty::ListOrdered => {
                elem.is_some_and(|e| (*e == Type::Null || e.is_ordered()) && bind(e))
            }
            Ty::ListNum => elem.is_some_and(|e| {
                matches!(e, Type::Integer | Type::Decimal | Type::Null) && bind(e)
            }),
            fixed => fixed.fixed().is_some_and(|t| t == *arg),
        }
    }

    /// The result type once `T` is bound (to `Null` if nothing bound it).
    pub fn result(self, bound: &Option<Type>) -> Type {
        let t = bound.clone().unwrap_or(Type::Null);
        match self {
            Ty::T | Ty::Ordered => t,
            Ty::ListT | Ty::ListOrdered | Ty::ListNum => Type::list(t),
            Ty::ListString => Type::list(Type::String),
            Ty::ListInteger => Type::list(Type::Integer),
            Ty::ListDecimal => Type::list(Type::Decimal),
            Ty::ListObject => Type::list(Type::object(Default::default())),
            Ty::Num => Type::Decimal,
            fixed => fixed.fixed().unwrap_or(Type::Null),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Decimal => "decimal",
            Ty::Boolean => "boolean",
            Ty::DateTime => "dateTime",
            Ty::DateTimeOnly => "dateTimeOnly",
            Ty::DateOnly => "dateOnly",
            Ty::Duration => "duration",
            Ty::Num => "integer|decimal",
            Ty::Scalar => "scalar",
            Ty::AnyList => "list",
            Ty::ListString => "listString",
            Ty::ListInteger => "listInteger",
            Ty::ListDecimal => "listDecimal",
            Ty::ListObject => "listObject",
            Ty::T => "T",
            Ty::ListT => "listT",
            Ty::Ordered => "T",
            Ty::ListOrdered => "listT",
            Ty::ListNum => "listInteger|listDecimal",
        })
    }
}
