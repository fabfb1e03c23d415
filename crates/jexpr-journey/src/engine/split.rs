//! `split`: a path chosen by a hash of (seed, journey, node, profile, entry),
//! so the choice depends on nothing else in the stream or the partitioning.

use super::{Flow, Walk};
use crate::model::SplitPath;
use crate::state::Instance;

/// A stable 64-bit hash of `parts` (FNV-1a, then a 64-bit finaliser so the
/// low digits are uniform): the same on every platform and release.
pub fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The bucket 0–99 of a profile's entry at a split node.
pub fn split_bucket(seed: u64, journey: &str, node: &str, profile: &str, entry: u64) -> u32 {
    (hash(&[
        &seed.to_string(),
        journey,
        node,
        profile,
        &entry.to_string(),
    ]) % 100) as u32
}

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    paths: &[SplitPath],
) -> Flow {
    let j = &walk.cj.journey;
    let bucket = split_bucket(j.seed, &j.id, node, walk.profile_id, inst.entry);
    let mut upto = 0;
    for p in paths {
        upto += p.percent;
        if bucket < upto {
            let r = walk
                .record("path")
                .with("node", node)
                .with("type", "split")
                .with("path", p.label.clone());
            walk.records.push(r);
            return Flow::Goto(p.next.clone());
        }
    }
    walk.fail(
        inst,
        node,
        "internal error: split percents do not sum to 100",
        None,
        None,
    )
}
