//! Audience membership.

use super::signature::{c, Check, Ty::*};
use super::{sig, Builtin, Category::Audience};

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "inSegment",
        category: Audience,
        overloads: &[sig(&[c(String, Check::Audience)], Boolean)],
    },
    Builtin {
        name: "inAudience",
        category: Audience,
        overloads: &[sig(&[c(String, Check::Audience)], Boolean)],
    },
];
