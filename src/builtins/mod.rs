//! The builtin functions: one table, grouped by category. Each entry declares
//! its signatures (for the checker) next to its implementation (for the VM).

mod aggregation;
pub mod args;
mod audience;
mod conversion;
mod dates;
mod lists;
mod math;
pub mod signature;
mod strings;

use crate::value::Value;
use chrono::{DateTime, Utc};
pub use signature::{Check, Param, Ty};
use std::cell::Cell;
use std::fmt;

/// What a builtin sees of the evaluation besides its arguments.
pub struct Env<'e> {
    /// The evaluation clock.
    pub now: DateTime<Utc>,
    /// Audience membership (`realized`/`existing` → true; unknown → false).
    pub in_audience: &'e dyn Fn(&str) -> bool,
    /// State of the seeded generator behind `random()` and `uuid()`.
    pub rng: &'e Cell<u64>,
}

impl Env<'_> {
    /// The next pseudo-random 64 bits (splitmix64: seedable, reproducible).
    pub fn next_random(&self) -> u64 {
        let mut z = self.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Largest compiled regex accepted, so a hostile pattern cannot exhaust memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The units of `nowWithDelta` (section 6.4).
pub const TIME_UNITS: &[&str] = &["years", "months", "days", "hours", "minutes", "seconds"];

/// Compiles a regex argument with the engine's limits (at compile time for a
/// constant pattern, at run time otherwise).
pub fn compile_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}

/// Runs `f` with the environment of a pure builtin call (constant folding,
/// the register machine): pure builtins read neither the clock, the
/// audiences nor the generator.
pub fn with_pure_env<R>(f: impl FnOnce(&Env<'_>) -> R) -> R {
    let rng = Cell::new(0);
    let no_audience = |_: &str| false;
    f(&Env {
        now: DateTime::UNIX_EPOCH,
        in_audience: &no_audience,
        rng: &rng,
    })
}

/// An implementation: takes its arguments (already checked against the
/// signature) and returns the value or an evaluation error message.
pub type Impl = for<'a> fn(&mut [Value<'a>], &Env<'_>) -> Result<Value<'a>, String>;

/// How a builtin treats `null` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nulls {
    /// Any `null` argument makes the result `null` without calling the function.
    Propagate,
    /// The function decides (`isEmpty(null)` is true, `in(null, l)` false, …).
    Handle,
}

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

/// One accepted signature of a builtin, with its implementation.
pub struct Overload {
    pub params: &'static [Param],
    pub ret: Ty,
    pub imp: Impl,
}

pub struct Builtin {
    pub name: &'static str,
    pub category: Category,
    pub overloads: &'static [Overload],
    pub nulls: Nulls,
    /// Depends only on its arguments, so constant calls may be folded at
    /// compile time (not `now`, `random`, audiences, …).
    pub pure: bool,
    /// What it does, with the documented examples (LANGUAGE.md section 7),
    /// for `jexpr functions` and the REPL's `:doc`.
    pub doc: &'static str,
}

impl Builtin {
    /// The same builtin with its documentation.
    pub(crate) const fn doc(self, doc: &'static str) -> Builtin {
        Builtin { doc, ..self }
    }
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)
    }
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
pub(crate) const fn sig(params: &'static [Param], ret: Ty, imp: Impl) -> Overload {
    Overload { params, ret, imp }
}

/// A pure builtin whose `null` arguments give `null`: the common case.
pub(crate) const fn pure(
    name: &'static str,
    category: Category,
    overloads: &'static [Overload],
) -> Builtin {
    Builtin {
        name,
        category,
        overloads,
        nulls: Nulls::Propagate,
        pure: true,
        doc: "",
    }
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
