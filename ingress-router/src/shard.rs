//! [`ShardedMap`]: a hash map split into a fixed number of shards behind `Arc`s, so that a
//! changed copy shares every shard but the ones it touches.
//!
//! This is what makes [`RouteTable::with_ingress`](crate::RouteTable::with_ingress) cost the
//! size of a shard, not the size of the table: copying the map copies 64 pointers, and writing
//! to it copies one shard (a 64th of the entries) if another table still shares it.
//!
//! The shards are `hashbrown::HashTable`s so a key is hashed once: the same hash picks the
//! shard (from bits the table does not use) and the bucket. The hasher is the map's own: a
//! table seeds its host maps per table (see [`TableHasher`]), so that the hosts one tenant
//! writes cannot be chosen to collide with another's.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use hashbrown::HashTable;

pub(crate) const SHARDS: usize = 64;

/// The hasher of a table's maps: foldhash (hashbrown's own default) with a seed drawn at random
/// for each table built (and kept by its updates, which share its shards). Host names are
/// written by tenants, so a fixed hash would let one tenant pick hosts that collide in a bucket
/// another tenant's host is looked up in; a per-table seed takes that away. foldhash rather
/// than the standard library's SipHash-1-3: the same per-instance seeding at a fraction of the
/// cost for short keys, on the path every request takes.
pub(crate) type TableHasher = foldhash::fast::RandomState;

/// One shard: shared between tables until one of them writes to it.
type Shard<K, V> = Arc<HashTable<(K, V)>>;

/// See the module docs.
pub(crate) struct ShardedMap<K, V, S = TableHasher> {
    /// Shared too, so that copying a map a table does not write to costs one reference count.
    shards: Arc<Vec<Shard<K, V>>>,
    len: usize,
    hasher: S,
}

impl<K, V, S: Clone> Clone for ShardedMap<K, V, S> {
    fn clone(&self) -> Self {
        ShardedMap {
            shards: self.shards.clone(),
            len: self.len,
            hasher: self.hasher.clone(),
        }
    }
}

impl<K, V, S> ShardedMap<K, V, S> {
    /// An empty map hashing with `hasher`.
    pub(crate) fn with_hasher(hasher: S) -> Self {
        ShardedMap {
            shards: Arc::new((0..SHARDS).map(|_| Arc::new(HashTable::new())).collect()),
            len: 0,
            hasher,
        }
    }
}

/// The shard of a hash: bits the table does not use (it takes the bucket from the low bits and
/// its tag from the top seven).
#[inline]
fn shard(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

// === impl ShardedMap ===

impl<K: Hash + Eq, V, S: BuildHasher> ShardedMap<K, V, S> {
    #[inline]
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = self.hash(key);
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

    /// The shard a key lives in (`0..SHARDS`).
    pub(crate) fn shard_of<Q>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + ?Sized,
    {
        shard(self.hash(key))
    }

    /// The values of one shard.
    pub(crate) fn shard_values(&self, shard: usize) -> impl Iterator<Item = &V> {
        self.shards[shard].iter().map(|(_, v)| v)
    }
}

impl<K: Hash + Eq + Clone, V: Clone, S: BuildHasher> ShardedMap<K, V, S> {
    pub(crate) fn insert(&mut self, key: K, value: V) {
        let h = self.hash(&key);
        let hasher = &self.hasher;
        let table = Arc::make_mut(&mut Arc::make_mut(&mut self.shards)[shard(h)]);
        match table.find_mut(h, |(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => {
                table.insert_unique(h, (key, value), |(k, _)| hasher.hash_one(k));
                self.len += 1;
            }
        }
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = self.hash(key);
        let i = shard(h);
        // Only copy a shared shard when the key is really there.
        if self.shards[i].find(h, |(k, _)| k.borrow() == key).is_some() {
            let table = Arc::make_mut(&mut Arc::make_mut(&mut self.shards)[i]);
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
        let mut a: ShardedMap<Arc<str>, u32> = ShardedMap::with_hasher(TableHasher::default());
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
            .zip(b.shards.iter())
            .filter(|(x, y)| Arc::ptr_eq(x, y))
            .count();
        assert!(shared >= SHARDS - 2, "{shared}");
        assert_eq!(b.keys().count(), 1000);
        assert_eq!(b.values().count(), 1000);
        assert!(!b.is_empty());
    }
}
