//! [`SerialIndex`]: a hash index of millions of serials that stays small.
//!
//! The table holds only an entry number and 32 bits of the hash per serial (8 bytes); keys and
//! values live in a `Vec` beside it, in insertion order. Inserting a new serial or probing for
//! an absent one touches the table alone, and a million-entry table is 16 MB instead of the
//! 40–60 MB of a `HashMap<Serial, _>`: on a machine where every table access is a cache and
//! TLB miss, that is what `check` and `scan-logs` spend their time on.

use core::hash::Hasher;

use hashbrown::HashTable;

use crate::SerialHasher;

/// Serial content octets (or anything that is them) → value, with dense entry numbers.
pub struct SerialIndex<K, V> {
    table: HashTable<(u32, u32)>,
    entries: Vec<(K, V)>,
}

/// The hash of serial content octets.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    let mut h = SerialHasher::default();
    h.write(bytes);
    h.finish()
}

impl<K: AsRef<[u8]>, V> SerialIndex<K, V> {
    /// An empty index with room for `n` serials.
    pub fn with_capacity(n: usize) -> Self {
        Self { table: HashTable::with_capacity(n), entries: Vec::with_capacity(n) }
    }

    /// Insert `key` unless an equal key is present. Returns its entry number and whether it
    /// was inserted now.
    ///
    /// # Panics
    /// Past 2^32 entries (a CRL that large would be over 80 GB).
    pub fn insert(&mut self, key: K, value: V) -> (usize, bool) {
        let h = hash(key.as_ref());
        let fragment = (h >> 32) as u32;
        let entries = &self.entries;
        let found = self.table.find(h, |&(i, f)| f == fragment && entries[i as usize].0.as_ref() == key.as_ref());
        if let Some(&(i, _)) = found {
            return (i as usize, false);
        }
        let i = u32::try_from(self.entries.len()).expect("fewer than 2^32 serials");
        self.entries.push((key, value));
        let entries = &self.entries;
        self.table.insert_unique(h, (i, fragment), |&(j, _)| hash(entries[j as usize].0.as_ref()));
        (i as usize, true)
    }

    /// The entry number and value of the serial with these content octets.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<(usize, &V)> {
        let h = hash(key);
        let fragment = (h >> 32) as u32;
        self.table
            .find(h, |&(i, f)| f == fragment && self.entries[i as usize].0.as_ref() == key)
            .map(|&(i, _)| (i as usize, &self.entries[i as usize].1))
    }

    /// Every (key, value), in insertion order.
    pub fn entries(&self) -> &[(K, V)] {
        &self.entries
    }

    /// Number of serials.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Room for `n` more serials.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        let entries = &self.entries;
        self.table.reserve(n, |&(j, _)| hash(entries[j as usize].0.as_ref()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BareDigits, Serial};

    #[test]
    fn insert_get_and_duplicates() {
        let mut idx: SerialIndex<Serial, u32> = SerialIndex::with_capacity(2);
        for (n, s) in ["01", "80", "-1", "01", "0x80", "FEF257372D5C14D4"].iter().enumerate() {
            idx.insert(Serial::parse(s, BareDigits::Hex).unwrap(), n as u32);
        }
        assert_eq!(idx.len(), 4, "01 and 80 are there twice");
        assert_eq!(idx.get(&[0x00, 0x80]), Some((1, &1)), "the first value stays");
        assert_eq!(idx.get(&[0xff]).map(|(i, _)| i), Some(2));
        assert_eq!(idx.get(&[0x80]), None, "-128 is not 128");

        let keys: Vec<String> = idx.entries().iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["01", "80", "-01", "FEF257372D5C14D4"]);
    }

    #[test]
    fn many_sequential_and_random_serials() {
        // Sequential serials (counter CAs) and random ones both spread over the table.
        let mut idx: SerialIndex<Vec<u8>, ()> = SerialIndex::with_capacity(0);
        for i in 0u32..200_000 {
            let mut b = i.to_be_bytes().to_vec();
            b.extend_from_slice(&(i.wrapping_mul(0x9e37_79b9)).to_le_bytes());
            assert!(idx.insert(b, ()).1);
        }
        for i in (0u32..200_000).step_by(997) {
            let mut b = i.to_be_bytes().to_vec();
            b.extend_from_slice(&(i.wrapping_mul(0x9e37_79b9)).to_le_bytes());
            assert_eq!(idx.get(&b).map(|(n, _)| n), Some(i as usize));
            b[7] ^= 1;
            assert_eq!(idx.get(&b), None);
        }
    }
}
