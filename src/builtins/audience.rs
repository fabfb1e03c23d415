//! Audience membership.

use super::args;
use super::signature::{c, Check, Ty::*};
use super::{sig, Builtin, Category::Audience, Env, Nulls};
use crate::value::Value;

fn member<'a>(args: &mut [Value<'a>], env: &Env<'_>) -> Result<Value<'a>, std::string::String> {
    Ok(Value::Bool((env.in_audience)(args::string(args, 0)?)))
}

const MEMBER: &[super::Overload] = &[sig(&[c(String, Check::Audience)], Boolean, member)];

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "inSegment",
        category: Audience,
        overloads: MEMBER,
        nulls: Nulls::Propagate,
        pure: false,
        doc: "boolean — true if the profile's membership status for that audience is `realized` or `existing`; `exited` or unknown → false. The argument must be a string constant. `inSegment(\"men over 50\")`",
    },
    Builtin {
        name: "inAudience",
        category: Audience,
        overloads: MEMBER,
        nulls: Nulls::Propagate,
        pure: false,
        doc: "boolean — true if the profile's membership status for that audience is `realized` or `existing`; `exited` or unknown → false. The argument must be a string constant. `inSegment(\"men over 50\")`",
    },
];
