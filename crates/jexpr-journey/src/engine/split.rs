//! `split`: a path chosen by a hash of (seed, journey, node, profile, entry),
//! so the choice depends on nothing else in the stream or the partitioning.

use super::{Flow, Walk};
use crate::model::SplitPath;
use crate::state::Instance;
use crate::trace::{Branch, Record};

/// A stable 64-bit hash of `parts` (FNV-1a, then a 64-bit finaliser so the
/// low digits are uniform): the same on every platform and release.
#[cfg(test)]
fn hash(parts: &[&str]) -> u64 {
    let mut h = Fnv::new();
    for part in parts {
        h.part(part.as_bytes());
    }
    h.finish()
}

/// A stable 64-bit hash of (seed, journey, node, profile, entry), the
/// numbers hashed as their decimal text (FNV-1a over the parts, each ended
/// by 0xff, then a 64-bit finaliser so the low digits are uniform): the
/// same on every platform and release. Every expression an instance
/// evaluates is seeded with one, so the text is not allocated.
pub fn hash_seed(seed: u64, journey: &str, node: &str, profile: &str, entry: u64) -> u64 {
    let mut h = Fnv::new();
    h.part(decimal(seed, &mut [0; 20]));
    h.part(journey.as_bytes());
    h.part(node.as_bytes());
    h.part(profile.as_bytes());
    h.part(decimal(entry, &mut [0; 20]));
    h.finish()
}

/// `n` in decimal, in the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// FNV-1a over parts each ended by 0xff, then a 64-bit finaliser.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(crate::fnv::OFFSET)
    }

    fn part(&mut self, bytes: &[u8]) {
        self.0 = crate::fnv::extend(crate::fnv::extend(self.0, bytes), &[0xff]);
    }

    fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The bucket 0–99 of a profile's entry at a split node.
pub fn split_bucket(seed: u64, journey: &str, node: &str, profile: &str, entry: u64) -> u32 {
    (hash_seed(seed, journey, node, profile, entry) % 100) as u32
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
            let r = Record::path(&walk.about(), node, Branch::Split, &p.label);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits chosen before `hash_seed` existed hashed the numbers' text:
    /// the buckets must not move.
    #[test]
    fn hash_seed_is_the_hash_of_the_numbers_text() {
        for (seed, entry) in [(0, 0), (7, 1), (u64::MAX, 10), (1_000_000_007, u64::MAX)] {
            let text = hash(&[&seed.to_string(), "j", "n", "p1", &entry.to_string()]);
            assert_eq!(hash_seed(seed, "j", "n", "p1", entry), text);
        }
    }
}
