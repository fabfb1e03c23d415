//! Aggregation over lists (nulls ignored unless the name says otherwise).

use super::signature::{p, Ty::*};
use super::{sig, Builtin, Category::Aggregation};

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "avg",
        category: Aggregation,
        overloads: &[sig(&[p(ListNum)], Decimal), sig(&[p(Num), p(Num)], Decimal)],
    },
    Builtin {
        name: "count",
        category: Aggregation,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "countOnlyNull",
        category: Aggregation,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "countWithNull",
        category: Aggregation,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "distinctCount",
        category: Aggregation,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "distinctCountWithNull",
        category: Aggregation,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "max",
        category: Aggregation,
        overloads: &[sig(&[p(ListOrdered)], T), sig(&[p(Ordered), p(Ordered)], T)],
    },
    Builtin {
        name: "min",
        category: Aggregation,
        overloads: &[sig(&[p(ListOrdered)], T), sig(&[p(Ordered), p(Ordered)], T)],
    },
    Builtin {
        name: "sum",
        category: Aggregation,
        overloads: &[
            sig(&[p(ListInteger)], Integer),
            sig(&[p(ListDecimal)], Decimal),
            sig(&[p(Integer), p(Integer)], Integer),
            sig(&[p(Decimal), p(Decimal)], Decimal),
        ],
    },
];
