//! [`SharedMap`]: a hash map that is cheap to clone and cheap to change after a clone.
//!
//! A snapshot keeps a clone of the index's maps (Service resolutions, TLS Secrets); the next
//! change then copies only the shard it touches and shares the other shards with every
//! snapshot still alive. No persistent-collection crate is needed for that: 64 shards behind
//! `Arc`s, copied on write with [`Arc::make_mut`].

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;

/// Shards per map: a change copies about `len / 64` entries (each an `Arc` clone).
const SHARDS: usize = 64;

/// A sharded, copy-on-write hash map.
pub(crate) struct SharedMap<K, V> {
    /// Picks the shard; the shards hash with their own (independent) state.
    hasher: RandomState,
    shards: Arc<Vec<Arc<HashMap<K, V>>>>,
    len: usize,
}

// === impl SharedMap ===

impl<K, V> SharedMap<K, V>
where
    K: Hash + Eq + Clone,
    V: Clone,
{
    pub(crate) fn new() -> Self {
        SharedMap {
            hasher: RandomState::new(),
            shards: Arc::new((0..SHARDS).map(|_| Arc::default()).collect()),
            len: 0,
        }
    }

    fn shard_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        // The remainder of a division by 64 fits in usize on every platform.
        (self.hasher.hash_one(key) % SHARDS as u64) as usize
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[self.shard_of(key)].get(key)
    }

    /// Inserts or replaces; copies the key's shard if a clone still shares it.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        let i = self.shard_of(&key);
        let shard = Arc::make_mut(&mut Arc::make_mut(&mut self.shards)[i]);
        if shard.insert(key, value).is_none() {
            self.len += 1;
        }
    }

    /// Removes; copies the key's shard only when the key is there.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.shard_of(key);
        if !self.shards[i].contains_key(key) {
            return None;
        }
        let shard = Arc::make_mut(&mut Arc::make_mut(&mut self.shards)[i]);
        let old = shard.remove(key);
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.shards.iter().flat_map(|s| s.iter())
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether `self` and `other` share the shard that holds `key` (for tests of the cost
    /// model: a change copies one shard and shares the rest).
    #[cfg(test)]
    pub(crate) fn shares_shard_with<Q>(&self, other: &Self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + ?Sized,
    {
        let i = self.shard_of(key);
        Arc::ptr_eq(&self.shards[i], &other.shards[i])
    }
}

impl<K, V> Clone for SharedMap<K, V> {
    fn clone(&self) -> Self {
        SharedMap {
            hasher: self.hasher.clone(),
            shards: self.shards.clone(),
            len: self.len,
        }
    }
}

impl<K, V> fmt::Debug for SharedMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMap")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_after_a_clone_copies_one_shard_and_leaves_the_clone_alone() {
        let mut map: SharedMap<String, u32> = SharedMap::new();
        for i in 0..1000 {
            map.insert(format!("k{i}"), i);
        }
        let before = map.clone();
        map.insert("k7".to_owned(), 70);
        assert_eq!(before.get("k7"), Some(&7));
        assert_eq!(map.get("k7"), Some(&70));
        assert!(!map.shares_shard_with(&before, "k7"));
        let shared = (0..1000)
            .filter(|i| map.shares_shard_with(&before, format!("k{i}").as_str()))
            .count();
        // Everything outside k7's shard is still shared (about 63/64 of the keys).
        assert!(shared > 900, "{shared}");
        assert_eq!(map.remove("k7"), Some(70));
        assert_eq!(map.remove("k7"), None);
        assert_eq!((map.len(), before.len()), (999, 1000));
    }
}
