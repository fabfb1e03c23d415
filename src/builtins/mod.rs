//! The builtin functions: one table, grouped by category. Each entry declares
//! its signatures (for the checker) next to its implementation (for the VM).

mod aggregation;
mod audience;
mod conversion;
mod dates;
mod lists;
mod math;
pub mod signature;
mod strings;

pub use signature::{Check, Param, Ty};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Audience,
    Aggregation,
    Conversion,
    Dates,
    Lists,
    Math,
    Strings,
}

/// One accepted signature of a builtin.
#[derive(Debug)]
pub struct Overload {
    pub params: &'static [Param],
    pub ret: Ty,
}

#[derive(Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub category: Category,
    pub overloads: &'static [Overload],
}

const CATEGORIES: &[&[Builtin]] = &[
    audience::FUNCTIONS,
    aggregation::FUNCTIONS,
    conversion::FUNCTIONS,
    dates::FUNCTIONS,
    lists::FUNCTIONS,
    math::FUNCTIONS,
    strings::FUNCTIONS,
];

/// Every builtin, category by category.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    CATEGORIES.iter().flat_map(|c| c.iter())
}

pub fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

/// Overload signature as users read it: `substr(string, integer, integer) → string`.
pub struct SignatureDisplay<'a>(pub &'a Builtin, pub &'a Overload);

impl fmt::Display for SignatureDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.0.name)?;
        for (i, param) in self.1.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", param.ty)?;
            if matches!(param.check, Check::Audience | Check::ConstZone) {
                f.write_str(" constant")?;
            }
        }
        write!(f, ") → {}", self.1.ret)?;
        if self
            .1
            .params
            .iter()
            .any(|p| matches!(p.ty, Ty::Ordered | Ty::ListOrdered))
        {
            f.write_str(" (T: a number, duration, date or time)")?;
        }
        Ok(())
    }
}

/// Shorthand for the tables.
pub(crate) const fn sig(params: &'static [Param], ret: Ty) -> Overload {
    Overload { params, ret }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = all().map(|b| b.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a builtin is declared twice");
    }
}
