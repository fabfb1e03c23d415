//! Lists: membership, set operations, slicing, sorting.

use super::aggregation::distinct_values;
use super::args;
use super::signature::{p, Ty::*};
use super::{pure, sig, Builtin, Category::Lists, Env, Nulls};
use crate::value::{ops, Value};
use std::cmp::Ordering;
use std::string::String;

type R<'a> = Result<Value<'a>, std::string::String>;

/// A field of an object element (`xdm:`-prefixed keys match too), or null.
pub fn field_of<'a>(element: &Value<'a>, key: &str) -> Value<'a> {
    match element {
        Value::Json(serde_json::Value::Object(map)) => map
            .get(key)
            .or_else(|| map.get(&format!("xdm:{key}")))
            .map_or(Value::Null, Value::from_json),
        _ => Value::Null,
    }
}

fn contains(items: &[Value<'_>], x: &Value<'_>) -> bool {
    items.iter().any(|i| i.equals(x))
}

/// The set of a list's values, for membership tests in linear time.
fn key_set(items: &[Value<'_>]) -> std::collections::HashSet<std::string::String> {
    items.iter().map(Value::set_key).collect()
}

fn is_in<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let x = args::take(args, 0);
    if x.is_null() {
        return Ok(Value::Bool(false));
    }
    Ok(Value::Bool(contains(&args::take_list(args, 1)?, &x)))
}

fn intersect<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let first = args::take_list(args, 0)?;
    let second = args::take_list(args, 1)?;
    let second = key_set(&second);
    let common = first
        .into_iter()
        .filter(|x| second.contains(&x.set_key()))
        .collect();
    Ok(Value::List(distinct_values(common, true)))
}

fn distinct<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::List(distinct_values(
        args::take_list(args, 0)?,
        false,
    )))
}

fn distinct_with_null<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::List(distinct_values(
        args::take_list(args, 0)?,
        true,
    )))
}

fn distinct_by_key<'a>(args: &mut [Value<'a>], keep_null: bool) -> R<'a> {
    let items = args::take_list(args, 0)?;
    let key = args::string(args, 1)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for item in items {
        if item.is_null() && !keep_null {
            continue;
        }
        if seen.insert(field_of(&item, key).set_key()) {
            out.push(item);
        }
    }
    Ok(Value::List(out))
}

fn distinct_key<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    distinct_by_key(args, false)
}

fn distinct_key_with_null<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    distinct_by_key(args, true)
}

fn filter<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let items = args::take_list(args, 0)?;
    let values = args::take_list(args, 2)?;
    let key = args::string(args, 1)?;
    let values = key_set(&values);
    Ok(Value::List(
        items
            .into_iter()
            .filter(|item| {
                let k = field_of(item, key);
                !k.is_null() && values.contains(&k.set_key())
            })
            .collect(),
    ))
}

fn get_list_item<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let index = args::int(args, 1)?;
    let mut items = args::take_list(args, 0)?;
    Ok(usize::try_from(index)
        .ok()
        .filter(|i| *i < items.len())
        .map_or(Value::Null, |i| std::mem::take(&mut items[i])))
}

fn limit_impl<'a>(args: &mut [Value<'a>], first: bool) -> R<'a> {
    let n = usize::try_from(args::int(args, 1)?.max(0)).unwrap_or(usize::MAX);
    let mut items = args::take_list(args, 0)?;
    if n < items.len() {
        if first {
            items.truncate(n);
        } else {
            items.drain(..items.len() - n);
        }
    }
    Ok(Value::List(items))
}

fn limit<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    limit_impl(args, true)
}

fn limit_from<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let first = args::boolean(args, 2)?;
    limit_impl(args, first)
}

fn list_size<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(args::take_list(args, 0)?.len() as i64))
}

/// Elements in their display form, nulls skipped [jexpr].
fn serialize_list<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let quote = args::boolean(args, 2)?;
    let sep = args::string(args, 1)?.to_string();
    let parts: Vec<std::string::String> = args::take_list(args, 0)?
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| {
            if quote {
                format!("\"{}\"", v.display())
            } else {
                v.display()
            }
        })
        .collect();
    // Sized before it is built: a long list and separator must not allocate
    // gigabytes before the cap is checked.
    let size = parts
        .iter()
        .map(String::len)
        .sum::<usize>()
        .saturating_add(sep.len().saturating_mul(parts.len().saturating_sub(1)));
    if size > ops::MAX_STRING_BYTES {
        return Err(ops::too_large("string", size));
    }
    Ok(Value::string(parts.join(&sep)))
}

/// Natural order, nulls last whatever the direction [jexpr]. Values with no
/// natural order between them (a key whose values mix types, NaN) still get
/// a fixed one, so sorting is a total order: numbers (NaN after every other
/// number), strings, booleans, dateTimes, dateTimeOnlys, dateOnlys,
/// durations, then lists and objects by their JSON text.
fn order(a: &Value<'_>, b: &Value<'_>, ascending: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = total_order(a, b);
            if ascending {
                o
            } else {
                o.reverse()
            }
        }
    }
}

fn total_order(a: &Value<'_>, b: &Value<'_>) -> Ordering {
    // JSON scalars read from data compare as the values they are.
    let (a_read, b_read);
    let a = match a {
        Value::Json(j)
            if !matches!(
                j,
                serde_json::Value::Array(_) | serde_json::Value::Object(_)
            ) =>
        {
            a_read = Value::from_json(j);
            &a_read
        }
        _ => a,
    };
    let b = match b {
        Value::Json(j)
            if !matches!(
                j,
                serde_json::Value::Array(_) | serde_json::Value::Object(_)
            ) =>
        {
            b_read = Value::from_json(j);
            &b_read
        }
        _ => b,
    };
    if let Some(o) = a.compare(b) {
        return o;
    }
    let rank = |v: &Value<'_>| -> u8 {
        match v {
            Value::Int(_) | Value::Dec(_) => 0,
            Value::Str(_) => 1,
            Value::Bool(_) => 2,
            Value::DateTime(_) => 3,
            Value::DateTimeOnly(_) => 4,
            Value::DateOnly(_) => 5,
            Value::Duration(_) => 6,
            _ => 7,
        }
    };
    let as_f64 = |v: &Value<'_>| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Dec(d) => Some(*d),
        _ => None,
    };
    rank(a)
        .cmp(&rank(b))
        .then_with(|| match (as_f64(a), as_f64(b)) {
            // Only NaN has no order among numbers: it goes after them all.
            (Some(x), Some(y)) => x.is_nan().cmp(&y.is_nan()).then_with(|| x.total_cmp(&y)),
            _ => a.to_json().to_string().cmp(&b.to_json().to_string()),
        })
}

fn sort<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let ascending = args::boolean(args, 1)?;
    let mut items = args::take_list(args, 0)?;
    items.sort_by(|a, b| order(a, b, ascending));
    Ok(Value::List(items))
}

fn sort_by_key<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let ascending = args::boolean(args, 2)?;
    let key = args::string(args, 1)?.to_string();
    let mut items = args::take_list(args, 0)?;
    items.sort_by(|a, b| order(&field_of(a, &key), &field_of(b, &key), ascending));
    Ok(Value::List(items))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "in",
        category: Lists,
        overloads: &[sig(&[p(T), p(ListT)], Boolean, is_in)],
        nulls: Nulls::Handle,
        pure: true,
        doc: "boolean: `in(4,[4,5,3,4])` → true; `in(8,[4,5,3,4])` → false; `in(null, [1, 2])` → false",
    },
    Builtin {
        name: "intersect",
        category: Lists,
        overloads: &[sig(&[p(ListT), p(ListT)], ListT, intersect)],
        nulls: Nulls::Handle,
        pure: true,
        doc: "elements of the first list also in the second, in first-list order, without duplicates: `intersect([\"sports\",\"news\",\"documentary\"], [\"sports\",\"movies\",\"documentary\"])` → `[\"sports\",\"documentary\"]` (the vendor reference prints a wrong result here); a null list → `[]`",
    },
    pure(
        "distinct",
        Lists,
        &[
            sig(&[p(ListT)], ListT, distinct),
            sig(&[p(ListObject), p(String)], ListObject, distinct_key),
        ],
    )
    .doc("distinct(listX): first occurrences, nulls dropped: `distinct([10,2,10,null])` → `[10, 2]` distinct(listObject[, string key]), distinctWithNull(listObject[, key]): objects equal on all fields, or on the key field"),
    pure(
        "distinctWithNull",
        Lists,
        &[
            sig(&[p(ListT)], ListT, distinct_with_null),
            sig(
                &[p(ListObject), p(String)],
                ListObject,
                distinct_key_with_null,
            ),
        ],
    )
    .doc("distinctWithNull(listX): `distinctWithNull([10,2,10,null])` → `[10, 2, null]` distinct(listObject[, string key]), distinctWithNull(listObject[, key]): objects equal on all fields, or on the key field"),
    pure(
        "filter",
        Lists,
        &[sig(
            &[p(ListObject), p(String), p(AnyList)],
            ListObject,
            filter,
        )],
    )
    .doc("The objects of a list whose field named by the second argument has one of the values of the third: `filter(list, \"sku\", [\"A\", \"B\"])` keeps the objects whose `sku` is A or B"),
    pure(
        "getListItem",
        Lists,
        &[sig(&[p(ListT), p(Integer)], T, get_list_item)],
    )
    .doc("element or null: `getListItem([10, 2, 3], 1)` → 2; `getListItem([\"A\",\"B\",\"C\"], 2)` → \"C\""),
    pure(
        "limit",
        Lists,
        &[
            sig(&[p(ListT), p(Integer)], ListT, limit),
            sig(&[p(ListT), p(Integer), p(Boolean)], ListT, limit_from),
        ],
    )
    .doc("`limit([\"A\",\"B\",\"C\",\"D\",\"E\"], 3)` → `[\"A\",\"B\",\"C\"]`; `limit(…, 3, false)` → `[\"C\",\"D\",\"E\"]`"),
    pure("listSize", Lists, &[sig(&[p(AnyList)], Integer, list_size)])
    .doc("integer, nulls included: `listSize([10,2,3])` → 3"),
    pure(
        "serializeList",
        Lists,
        &[sig(
            &[p(AnyList), p(String), p(Boolean)],
            String,
            serialize_list,
        )],
    )
    .doc("`serializeList([\"Hello\",\"World\"], \" \", false)` → `\"Hello World\"`; `serializeList([\"Hello\",\"World\"], \",\", true)` → `\"\\\"Hello\\\",\\\"World\\\"\"`"),
    pure(
        "sort",
        Lists,
        &[
            sig(&[p(ListT), p(Boolean)], ListT, sort),
            sig(
                &[p(ListObject), p(String), p(Boolean)],
                ListObject,
                sort_by_key,
            ),
        ],
    )
    .doc("natural order; nulls last [jexpr]: `sort([\"A\",\"C\",\"B\"], true)` → `[\"A\",\"B\",\"C\"]`; `sort([1,3,2], false)` → `[3,2,1]`"),
];
