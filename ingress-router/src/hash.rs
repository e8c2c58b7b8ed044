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

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
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
