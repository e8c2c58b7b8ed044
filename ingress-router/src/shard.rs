//! [`ShardedMap`]: a hash map split into a fixed number of shards behind `Arc`s, so that a
//! changed copy shares every shard but the ones it touches.
//!
//! This is what makes [`RouteTable::with_ingress`](crate::RouteTable::with_ingress) cost the
//! size of a shard, not the size of the table: copying the map copies 64 pointers, and writing
//! to it copies one shard (a 64th of the entries) if another table still shares it.
//!
//! The shards are `hashbrown::HashTable`s so a key is hashed once: the same hash picks the
//! shard (from bits the table does not use) and the bucket.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::hash::FastHash;

const SHARDS: usize = 64;

/// See the module docs.
pub(crate) struct ShardedMap<K, V> {
    shards: Vec<Arc<HashTable<(K, V)>>>,
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
            shards: (0..SHARDS).map(|_| Arc::new(HashTable::new())).collect(),
            len: 0,
        }
    }
}

#[inline]
fn hash<Q: Hash + ?Sized>(key: &Q) -> u64 {
    FastHash::default().hash_one(key)
}

/// The shard of a hash: bits the table does not use (it takes the bucket from the low bits and
/// its tag from the top seven).
#[inline]
fn shard(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

// === impl ShardedMap ===

impl<K: Hash + Eq, V> ShardedMap<K, V> {
    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = hash(key);
        self.shards[shard(h)]
            .find(h, |(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.shards.iter().flat_map(|s| s.iter().map(|(_, v)| v))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.shards.iter().flat_map(|s| s.iter().map(|(k, _)| k))
    }
}

impl<K: Hash + Eq + Clone, V: Clone> ShardedMap<K, V> {
    pub(crate) fn insert(&mut self, key: K, value: V) {
        let h = hash(&key);
        let table = Arc::make_mut(&mut self.shards[shard(h)]);
        match table.find_mut(h, |(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => {
                table.insert_unique(h, (key, value), |(k, _)| hash(k));
                self.len += 1;
            }
        }
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = hash(key);
        let i = shard(h);
        // Only copy a shared shard when the key is really there.
        if self.shards[i].find(h, |(k, _)| k.borrow() == key).is_some() {
            let table = Arc::make_mut(&mut self.shards[i]);
            if let Ok(entry) = table.find_entry(h, |(k, _)| k.borrow() == key) {
                entry.remove();
                self.len -= 1;
            }
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
        a.insert("h3".into(), 3);
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
        assert_eq!(b.values().count(), 1000);
        assert!(!b.is_empty());
    }
}
