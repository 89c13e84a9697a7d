//! A bounded memory of recent message ids, for duplicate detection.
//!
//! Entries arrive in time order, so expiry and eviction both take from the
//! front of a queue: every operation is O(1) amortised, however hostile the
//! traffic.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::{Duration, Instant};

pub struct Recent<K, V> {
    entries: HashMap<K, (Instant, V)>,
    order: VecDeque<(K, Instant)>,
    lifetime: Duration,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Recent<K, V> {
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        Recent {
            entries: HashMap::new(),
            order: VecDeque::new(),
            lifetime,
            capacity: capacity.max(1),
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(_, v)| v)
    }

    /// Remembers `key`; returns whether it was already remembered.
    pub fn insert(&mut self, now: Instant, key: K, value: V) -> bool {
        self.expire(now);
        let known = self.entries.insert(key.clone(), (now, value)).is_some();
        self.order.push_back((key, now));
        while self.entries.len() > self.capacity || self.order.len() > 2 * self.capacity {
            self.pop_oldest();
        }
        known
    }

    /// Forgets entries older than the lifetime.
    pub fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.lifetime {
                break;
            }
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((key, at)) = self.order.pop_front() {
            // Only the newest insertion of a key owns its entry.
            if self.entries.get(&key).is_some_and(|(t, _)| *t == at) {
                self.entries.remove(&key);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
