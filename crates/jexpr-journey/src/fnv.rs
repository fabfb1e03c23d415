//! FNV-1a 64, the one hash of the crate: the events file's prefix hash, the
//! state's fingerprint, the partition of a profile and the split's bucket.
//! Stable across versions and platforms: stored states depend on it.

/// FNV-1a 64's starting value.
pub const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`, continuing from `hash`.
pub fn extend(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// FNV-1a 64 of `bytes`.
pub fn hash(bytes: &[u8]) -> u64 {
    extend(OFFSET, bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn published_test_vectors() {
        // From the FNV reference (Fowler, Noll, Vo): FNV-1a 64 of "", "a", "foobar".
        assert_eq!(super::hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(super::hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(super::hash(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            super::extend(super::hash(b"foo"), b"bar"),
            super::hash(b"foobar")
        );
    }
}
