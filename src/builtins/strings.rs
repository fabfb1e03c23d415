//! Strings (positions and lengths count Unicode code points).

use super::signature::{c, p, Check, Ty::*};
use super::{sig, Builtin, Category::Strings, Overload};

const TEST: &[Overload] = &[sig(&[p(String), p(String)], Boolean)];
const POSITION: &[Overload] = &[sig(&[p(String), p(String)], Integer)];
const STRING_TEST: &[Overload] = &[sig(&[p(String)], Boolean)];
const MAP: &[Overload] = &[sig(&[p(String)], String)];
const REPLACE: &[Overload] = &[sig(
    &[p(String), c(String, Check::Regex), p(String)],
    String,
)];

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "concat",
        category: Strings,
        overloads: &[
            sig(&[p(String), p(String)], String),
            sig(&[p(ListString)], String),
        ],
    },
    Builtin {
        name: "contain",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "containIgnoreCase",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "startWith",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "startWithIgnoreCase",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "endWith",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "endWithIgnoreCase",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "equalIgnoreCase",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "notEqualIgnoreCase",
        category: Strings,
        overloads: TEST,
    },
    Builtin {
        name: "indexOf",
        category: Strings,
        overloads: POSITION,
    },
    Builtin {
        name: "lastIndexOf",
        category: Strings,
        overloads: POSITION,
    },
    Builtin {
        name: "isEmpty",
        category: Strings,
        overloads: STRING_TEST,
    },
    Builtin {
        name: "isNotEmpty",
        category: Strings,
        overloads: STRING_TEST,
    },
    Builtin {
        name: "length",
        category: Strings,
        overloads: &[sig(&[p(String)], Integer)],
    },
    Builtin {
        name: "lower",
        category: Strings,
        overloads: MAP,
    },
    Builtin {
        name: "upper",
        category: Strings,
        overloads: MAP,
    },
    Builtin {
        name: "trim",
        category: Strings,
        overloads: MAP,
    },
    Builtin {
        name: "matchRegExp",
        category: Strings,
        overloads: &[sig(&[p(String), c(String, Check::Regex)], Boolean)],
    },
    Builtin {
        name: "replace",
        category: Strings,
        overloads: REPLACE,
    },
    Builtin {
        name: "replaceAll",
        category: Strings,
        overloads: REPLACE,
    },
    Builtin {
        name: "split",
        category: Strings,
        overloads: &[sig(&[p(String), c(String, Check::Regex)], ListString)],
    },
    Builtin {
        name: "substr",
        category: Strings,
        overloads: &[
            sig(&[p(String), p(Integer)], String),
            sig(&[p(String), p(Integer), p(Integer)], String),
        ],
    },
    Builtin {
        name: "uuid",
        category: Strings,
        overloads: &[sig(&[], String)],
    },
];
