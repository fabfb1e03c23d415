//! Numbers.

use super::args;
use super::signature::{p, Ty::*};
use super::{pure, sig, Builtin, Category::Math, Env, Nulls};
use crate::value::Value;

type R<'a> = Result<Value<'a>, std::string::String>;

/// Java's `Math.round`: nearest, ties toward +∞, saturating, NaN → 0.
pub fn java_round(x: f64) -> i64 {
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    r as i64
}

fn round<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(java_round(args::number(args, 0)?)))
}

fn identity<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(args::take(args, 0))
}

fn random<'a>(_: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    // 53 random bits scaled into [0, 1).
    Ok(Value::Dec(
        (env.next_random() >> 11) as f64 / (1u64 << 53) as f64,
    ))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    pure(
        "round",
        Math,
        &[
            sig(&[p(Decimal)], Integer, round),
            sig(&[p(Integer)], Integer, identity),
        ],
    )
    .doc("integer, nearest with ties toward +∞ (Java `Math.round`): `round(3.14)` → 3, `round(3.54)` → 4, `round(-3.14)` → -3, `round(3)` → 3, `round(2.5)` → 3, `round(-2.5)` → -2"),
    Builtin {
        name: "random",
        category: Math,
        overloads: &[sig(&[], Decimal, random)],
        nulls: Nulls::Propagate,
        pure: false,
        doc: "decimal in [0, 1); seedable for tests",
    },
];
