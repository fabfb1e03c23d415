//! Lists: membership, set operations, slicing, sorting.

use super::signature::{p, Ty::*};
use super::{sig, Builtin, Category::Lists};

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "in",
        category: Lists,
        overloads: &[sig(&[p(T), p(ListT)], Boolean)],
    },
    Builtin {
        name: "intersect",
        category: Lists,
        overloads: &[sig(&[p(ListT), p(ListT)], ListT)],
    },
    Builtin {
        name: "distinct",
        category: Lists,
        overloads: &[
            sig(&[p(ListT)], ListT),
            sig(&[p(ListObject), p(String)], ListObject),
        ],
    },
    Builtin {
        name: "distinctWithNull",
        category: Lists,
        overloads: &[
            sig(&[p(ListT)], ListT),
            sig(&[p(ListObject), p(String)], ListObject),
        ],
    },
    Builtin {
        name: "filter",
        category: Lists,
        overloads: &[sig(&[p(ListObject), p(String), p(AnyList)], ListObject)],
    },
    Builtin {
        name: "getListItem",
        category: Lists,
        overloads: &[sig(&[p(ListT), p(Integer)], T)],
    },
    Builtin {
        name: "limit",
        category: Lists,
        overloads: &[
            sig(&[p(ListT), p(Integer)], ListT),
            sig(&[p(ListT), p(Integer), p(Boolean)], ListT),
        ],
    },
    Builtin {
        name: "listSize",
        category: Lists,
        overloads: &[sig(&[p(AnyList)], Integer)],
    },
    Builtin {
        name: "serializeList",
        category: Lists,
        overloads: &[sig(&[p(AnyList), p(String), p(Boolean)], String)],
    },
    Builtin {
        name: "sort",
        category: Lists,
        overloads: &[
            sig(&[p(ListT), p(Boolean)], ListT),
            sig(&[p(ListObject), p(String), p(Boolean)], ListObject),
        ],
    },
];
