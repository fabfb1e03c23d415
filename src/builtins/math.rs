//! Numbers.

use super::signature::{p, Ty::*};
use super::{sig, Builtin, Category::Math};

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "round",
        category: Math,
        overloads: &[sig(&[p(Decimal)], Integer), sig(&[p(Integer)], Integer)],
    },
    Builtin {
        name: "random",
        category: Math,
        overloads: &[sig(&[], Decimal)],
    },
];
