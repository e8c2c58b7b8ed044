//! [`ShardedMap`]: a hash map split into a fixed number of shards behind `Arc`s, so that a
//! changed copy shares every shard but the ones it touches.
//!
//! This is what makes [`RouteTable::with_ingress`](crate::RouteTable::with_ingress) cost the
//! size of a shard, not the size of the table: copying the map copies 64 pointers, and writing
//! to it copies one shard (a 64th of the entries) if another table still shares it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use crate::hash::FastHash;

const SHARDS: usize = 64;

/// See the module docs.
pub(crate) struct ShardedMap<K, V> {
    shards: Vec<Arc<HashMap<K, V, FastHash>>>,
    len: usize,
}

impl<K, V> Clone for ShardedMap<K, V> {
    fn clone(&self) -> Self {
        ShardedMap {
            shards: self.shards.clone(),
            len: self.len,
        }
    }
}

impl<K, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        ShardedMap {
            shards: (0..SHARDS).map(|_| Arc::new(HashMap::default())).collect(),
            len: 0,
        }
    }
}

// === impl ShardedMap ===

impl<K: Hash + Eq, V> ShardedMap<K, V> {
    #[inline]
    fn shard_of<Q: Hash + ?Sized>(key: &Q) -> usize {
        // Bits the inner maps do not use: hashbrown takes the bucket from the low bits and its
        // tag from the top seven.
        (FastHash::default().hash_one(key) >> 32) as usize % SHARDS
    }

    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[Self::shard_of(key)].get(key)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(|s| s.values())
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.shards.iter().flat_map(|s| s.keys())
    }
}

impl<K: Hash + Eq + Clone, V: Clone> ShardedMap<K, V> {
    pub(crate) fn insert(&mut self, key: K, value: V) {
        let shard = Arc::make_mut(&mut self.shards[Self::shard_of(&key)]);
        if shard.insert(key, value).is_none() {
            self.len += 1;
        }
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = Self::shard_of(key);
        // Only copy a shared shard when the key is really there.
        if self.shards[i].contains_key(key) {
            Arc::make_mut(&mut self.shards[i]).remove(key);
            self.len -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_untouched_shards() {
        let mut a: ShardedMap<Arc<str>, u32> = ShardedMap::default();
        for i in 0..1000 {
            a.insert(format!("h{i}").into(), i);
        }
        assert_eq!(a.len(), 1000);
        let mut b = a.clone();
        b.insert("new".into(), 1);
        b.remove("h7");
        b.remove("absent");
        assert_eq!((a.len(), b.len()), (1000, 1000));
        assert_eq!(a.get("h7"), Some(&7));
        assert_eq!(b.get("h7"), None);
        assert_eq!(b.get("new"), Some(&1));
        let shared = a
            .shards
            .iter()
            .zip(&b.shards)
            .filter(|(x, y)| Arc::ptr_eq(x, y))
            .count();
        assert!(shared >= SHARDS - 2, "{shared}");
        assert_eq!(b.keys().count(), 1000);
    }
}
