//! A small, fast hasher for the host maps.
//!
//! The keys are rule hosts written by Ingress authors, not by clients, so a client cannot grow
//! a bucket by choosing colliding hosts: it can only look up. That makes a non-keyed hash safe
//! here, and SipHash's per-lookup cost is worth avoiding on the hot path. This is the
//! multiply-rotate scheme of rustc's FxHasher, with the final rotation rustc-hash 2 adds so the
//! high bits (which hashbrown uses for its control bytes) are well mixed.

use std::hash::{BuildHasherDefault, Hasher};

/// Build-hasher for the table's maps.
pub(crate) type FastHash = BuildHasherDefault<FastHasher>;

/// See the module docs.
#[derive(Clone, Copy, Default)]
pub(crate) struct FastHasher {
    hash: u64,
}

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

#[inline]
fn read8(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

#[inline]
fn read4(b: &[u8]) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[..4]);
    u64::from(u32::from_le_bytes(w))
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        // Whole words, then the last word again, overlapping, for a tail: no byte copies.
        if n >= 8 {
            let mut i = 0;
            while i + 8 <= n {
                self.add(read8(&bytes[i..]));
                i += 8;
            }
            if i < n {
                self.add(read8(&bytes[n - 8..]));
            }
        } else if n >= 4 {
            self.add(read4(bytes) | (read4(&bytes[n - 4..]) << 32));
        } else if n > 0 {
            let b = |i: usize| u64::from(bytes[i]);
            self.add(b(0) | (b(n / 2) << 8) | (b(n - 1) << 16));
        }
        self.add(n as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash.rotate_left(20)
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn every_length_and_byte_counts() {
        let h = |s: &[u8]| FastHash::default().hash_one(s);
        let mut seen = std::collections::HashSet::new();
        for n in 0..40 {
            let base = vec![b'a'; n];
            assert!(seen.insert(h(&base)), "length {n}");
            for i in 0..n {
                let mut s = base.clone();
                s[i] = b'b';
                assert!(seen.insert(h(&s)), "length {n}, byte {i}");
            }
        }
    }
}
