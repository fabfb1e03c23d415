//! Conversions between types.

use super::signature::{c, p, Check, Ty::*};
use super::{sig, Builtin, Category::Conversion};

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "toBool",
        category: Conversion,
        overloads: &[
            sig(&[p(String)], Boolean),
            sig(&[p(Integer)], Boolean),
            sig(&[p(Decimal)], Boolean),
            sig(&[p(Boolean)], Boolean),
        ],
    },
    Builtin {
        name: "toInteger",
        category: Conversion,
        overloads: &[
            sig(&[p(String)], Integer),
            sig(&[p(Decimal)], Integer),
            sig(&[p(Integer)], Integer),
            sig(&[p(Boolean)], Integer),
            sig(&[p(DateTime)], Integer),
        ],
    },
    Builtin {
        name: "toDecimal",
        category: Conversion,
        overloads: &[
            sig(&[p(String)], Decimal),
            sig(&[p(Integer)], Decimal),
            sig(&[p(Decimal)], Decimal),
            sig(&[p(Boolean)], Decimal),
            sig(&[p(DateTime)], Decimal),
        ],
    },
    Builtin {
        name: "toString",
        category: Conversion,
        overloads: &[sig(&[p(Scalar)], String)],
    },
    Builtin {
        name: "toDateTime",
        category: Conversion,
        overloads: &[
            sig(&[c(String, Check::DateTimeText)], DateTime),
            sig(&[p(Integer)], DateTime),
            sig(&[c(String, Check::ConstZone), p(DateTimeOnly)], DateTime),
        ],
    },
    Builtin {
        name: "toDateTimeOnly",
        category: Conversion,
        overloads: &[
            sig(&[c(String, Check::DateTimeOnlyText)], DateTimeOnly),
            sig(&[p(DateTime)], DateTimeOnly),
        ],
    },
    Builtin {
        name: "toDateOnly",
        category: Conversion,
        overloads: &[
            sig(&[c(String, Check::DateOnlyText)], DateOnly),
            sig(&[p(DateTime)], DateOnly),
            sig(&[p(DateTimeOnly)], DateOnly),
        ],
    },
    Builtin {
        name: "toDuration",
        category: Conversion,
        overloads: &[
            sig(&[c(String, Check::DurationText)], Duration),
            sig(&[p(Integer)], Duration),
        ],
    },
];
