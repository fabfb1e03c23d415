//! The clock, time zones and calendar arithmetic.

use super::signature::{c, p, Check, Ty::*};
use super::{sig, Builtin, Category::Dates};

const IN_WINDOW: &[super::Overload] = &[sig(&[p(DateTime), p(Integer)], Boolean)];

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "now",
        category: Dates,
        overloads: &[sig(&[], DateTime), sig(&[c(String, Check::Zone)], DateTime)],
    },
    Builtin {
        name: "currentTimeInMillis",
        category: Dates,
        overloads: &[sig(&[], Integer)],
    },
    Builtin {
        name: "nowWithDelta",
        category: Dates,
        overloads: &[
            sig(&[p(Integer), c(String, Check::TimeUnit)], DateTime),
            sig(
                &[
                    p(Integer),
                    c(String, Check::TimeUnit),
                    c(String, Check::ConstZone),
                ],
                DateTime,
            ),
        ],
    },
    Builtin {
        name: "inLastDays",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inLastHours",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inLastMonths",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inLastYears",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inNextDays",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inNextHours",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inNextMonths",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "inNextYears",
        category: Dates,
        overloads: IN_WINDOW,
    },
    Builtin {
        name: "setHours",
        category: Dates,
        overloads: &[
            sig(&[p(DateTime), p(Integer)], DateTime),
            sig(&[p(DateTimeOnly), p(Integer)], DateTimeOnly),
        ],
    },
    Builtin {
        name: "setDays",
        category: Dates,
        overloads: &[
            sig(&[p(DateTime), p(Integer)], DateTime),
            sig(&[p(DateTimeOnly), p(Integer)], DateTimeOnly),
        ],
    },
    Builtin {
        name: "updateTimeZone",
        category: Dates,
        overloads: &[sig(&[p(DateTime), c(String, Check::Zone)], DateTime)],
    },
];
