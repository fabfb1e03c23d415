//! Aggregation over lists (nulls ignored unless the name says otherwise; an
//! empty or all-null list gives `null` for avg/max/min and 0 for sum and counts).

use super::args;
use super::signature::{p, Ty::*};
use super::{pure, sig, Builtin, Category::Aggregation, Env};
use crate::value::Value;
use std::cmp::Ordering;

type R<'a> = Result<Value<'a>, std::string::String>;

fn non_null<'a>(args: &mut [Value<'a>]) -> Result<Vec<Value<'a>>, std::string::String> {
    Ok(args::take_list(args, 0)?
        .into_iter()
        .filter(|v| !v.is_null())
        .collect())
}

fn avg_list<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let items = non_null(args)?;
    if items.is_empty() {
        return Ok(Value::Null);
    }
    let mut total = 0.0;
    for v in &items {
        total += args::number(std::slice::from_ref(v), 0)?;
    }
    Ok(Value::Dec(total / items.len() as f64))
}

fn avg_pair<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Dec(
        (args::number(args, 0)? + args::number(args, 1)?) / 2.0,
    ))
}

fn count<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let n = match args::get(args, 0) {
        Value::List(items) => items.iter().filter(|v| !v.is_null()).count(),
        Value::Json(serde_json::Value::Array(items)) => {
            items.iter().filter(|v| !v.is_null()).count()
        }
        _ => non_null(args)?.len(),
    };
    Ok(Value::Int(n as i64))
}

fn count_only_null<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(
        args::take_list(args, 0)?
            .iter()
            .filter(|v| v.is_null())
            .count() as i64,
    ))
}

fn count_with_null<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(args::take_list(args, 0)?.len() as i64))
}

/// Distinct values in first-occurrence order, hashed by [`Value::set_key`].
pub(super) fn distinct_values<'a>(items: Vec<Value<'a>>, keep_null: bool) -> Vec<Value<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Value<'a>> = Vec::new();
    for item in items {
        if item.is_null() && !keep_null {
            continue;
        }
        if seen.insert(item.set_key()) {
            out.push(item);
        }
    }
    out
}

fn distinct_count<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(
        distinct_values(args::take_list(args, 0)?, false).len() as i64,
    ))
}

fn distinct_count_with_null<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(
        distinct_values(args::take_list(args, 0)?, true).len() as i64,
    ))
}

fn extreme<'a>(items: Vec<Value<'a>>, want: Ordering) -> Value<'a> {
    let mut best: Option<Value<'a>> = None;
    for item in items.into_iter().filter(|v| !v.is_null()) {
        best = match best {
            Some(b) if item.compare(&b) != Some(want) => Some(b),
            _ => Some(item),
        };
    }
    best.unwrap_or(Value::Null)
}

fn max_list<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(extreme(args::take_list(args, 0)?, Ordering::Greater))
}

fn min_list<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(extreme(args::take_list(args, 0)?, Ordering::Less))
}

fn max_pair<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(extreme(
        vec![args::take(args, 0), args::take(args, 1)],
        Ordering::Greater,
    ))
}

fn min_pair<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(extreme(
        vec![args::take(args, 0), args::take(args, 1)],
        Ordering::Less,
    ))
}

fn sum_integers<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let mut total: i64 = 0;
    for v in non_null(args)? {
        let n = args::int(std::slice::from_ref(&v), 0)?;
        total = total.checked_add(n).ok_or("integer overflow in sum")?;
    }
    Ok(Value::Int(total))
}

fn sum_decimals<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let mut total = 0.0;
    for v in non_null(args)? {
        total += args::number(std::slice::from_ref(&v), 0)?;
    }
    Ok(Value::Dec(total))
}

fn sum_int_pair<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let total = args::int(args, 0)?
        .checked_add(args::int(args, 1)?)
        .ok_or("integer overflow in sum")?;
    Ok(Value::Int(total))
}

fn sum_dec_pair<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Dec(args::number(args, 0)? + args::number(args, 1)?))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    pure(
        "avg",
        Aggregation,
        &[
            sig(&[p(ListNum)], Decimal, avg_list),
            sig(&[p(Num), p(Num)], Decimal, avg_pair),
        ],
    )
    .doc("The mean of a list's non-null numbers, or of two numbers, as a decimal: `avg([10,3,8])` → 7.0; `avg(10.2, 3)` → 6.6"),
    pure("count", Aggregation, &[sig(&[p(AnyList)], Integer, count)])
    .doc("How many elements of the list are not null: `count([10,2,10,null])` → 3; `count([])` → 0"),
    pure(
        "countOnlyNull",
        Aggregation,
        &[sig(&[p(AnyList)], Integer, count_only_null)],
    )
    .doc("How many elements of the list are null: `countOnlyNull([10,2,10,null])` → 1"),
    pure(
        "countWithNull",
        Aggregation,
        &[sig(&[p(AnyList)], Integer, count_with_null)],
    )
    .doc("How many elements the list has, nulls included: `countWithNull([10,2,10,null])` → 4"),
    pure(
        "distinctCount",
        Aggregation,
        &[sig(&[p(AnyList)], Integer, distinct_count)],
    )
    .doc("How many different non-null values the list has: `distinctCount([10,2,10,null])` → 2"),
    pure(
        "distinctCountWithNull",
        Aggregation,
        &[sig(&[p(AnyList)], Integer, distinct_count_with_null)],
    )
    .doc("How many different values the list has, null counting as one: `distinctCountWithNull([10,2,10,null])` → 3"),
    pure(
        "max",
        Aggregation,
        &[
            sig(&[p(ListOrdered)], T, max_list),
            sig(&[p(Ordered), p(Ordered)], T, max_pair),
        ],
    )
    .doc("The greatest non-null element of a list, or the greater of two values (numbers, durations, dates or times): `max([10,3,8])` → 10; `max([10,null,8])` → 10; `max(2, 7)` → 7"),
    pure(
        "min",
        Aggregation,
        &[
            sig(&[p(ListOrdered)], T, min_list),
            sig(&[p(Ordered), p(Ordered)], T, min_pair),
        ],
    )
    .doc("The least non-null element of a list, or the lesser of two values (numbers, durations, dates or times): `min([10,3,8])` → 3; `min([10,null,8])` → 8; `min(2, 7)` → 2"),
    pure(
        "sum",
        Aggregation,
        &[
            sig(&[p(ListInteger)], Integer, sum_integers),
            sig(&[p(ListDecimal)], Decimal, sum_decimals),
            sig(&[p(Integer), p(Integer)], Integer, sum_int_pair),
            sig(&[p(Decimal), p(Decimal)], Decimal, sum_dec_pair),
        ],
    )
    .doc("The sum of a list's non-null numbers, or of two numbers: `sum([10,3,8])` → 21; `sum([10.5,null,8.1])` → 18.6; `sum(2, 3)` → 5"),
];
