//! Sparse, memory-mapped indexes beside each segment file.
//!
//! The offset index maps a batch's offset (relative to the segment base) to
//! its byte position; the time index maps the largest timestamp seen so far to
//! the offset where it occurs. Both hold an entry every `index.interval.bytes`
//! so a lookup lands a few kilobytes before its target and finishes with a
//! short scan of batch headers. Files are preallocated (sparse) while a
//! segment is active and trimmed when it is sealed; they can always be rebuilt
//! from the segment, so they are checked before they are trusted.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use memmap2::MmapMut;

/// One fixed-size entry kind: how it is laid out and which key it sorts by.
pub trait IndexEntry: Copy {
    const SIZE: usize;
    fn encode(&self, out: &mut [u8]);
    fn decode(bytes: &[u8]) -> Self;
    fn key(&self) -> i64;
}

/// Offset index entry: relative offset of a batch and its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

impl IndexEntry for OffsetEntry {
    const SIZE: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.relative_offset.to_be_bytes());
        out[4..8].copy_from_slice(&self.position.to_be_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Self {
            relative_offset: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            position: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
    fn key(&self) -> i64 {
        i64::from(self.relative_offset)
    }
}

/// Time index entry: the largest timestamp so far and the relative offset of
/// the record that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

impl IndexEntry for TimeEntry {
    const SIZE: usize = 12;
    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.relative_offset.to_be_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&b[..8]);
        Self {
            timestamp: i64::from_be_bytes(ts),
            relative_offset: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }
    fn key(&self) -> i64 {
        self.timestamp
    }
}

/// Where an index keeps its entries: a mapped file, or a vector for
/// segments that are being rebuilt before their file exists.
enum Backing {
    Mapped { file: File, map: MmapMut },
    Vec(Vec<u8>),
}

/// A sorted, append-only array of entries with a fixed capacity.
pub struct Index<E: IndexEntry> {
    backing: Backing,
    entries: usize,
    capacity: usize,
    _entry: std::marker::PhantomData<E>,
}

pub type OffsetIndex = Index<OffsetEntry>;
pub type TimeIndex = Index<TimeEntry>;

impl<E: IndexEntry> Index<E> {
    /// An index that lives only in memory (no file).
    #[cfg(test)]
    pub fn in_memory(capacity_bytes: usize) -> Self {
        let capacity = (capacity_bytes / E::SIZE).max(1);
        Self {
            backing: Backing::Vec(Vec::new()),
            entries: 0,
            capacity,
            _entry: std::marker::PhantomData,
        }
    }

    /// Opens (or creates) an index file and maps it with room for
    /// `capacity_bytes`. Existing entries are kept only when `keep_existing`
    /// (a clean shutdown trimmed the file to exactly its entries) and they are
    /// sorted; otherwise the index starts empty and the caller rebuilds it.
    pub fn open(path: &Path, capacity_bytes: usize, keep_existing: bool) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let existing = file.metadata()?.len() as usize;
        let kept = if keep_existing { existing / E::SIZE } else { 0 };
        // Cutting the file to its entries and growing it again leaves a hole:
        // the free tail reads as zeros without touching a single page.
        file.set_len((kept * E::SIZE) as u64)?;
        let capacity = (capacity_bytes / E::SIZE).max(kept).max(1);
        file.set_len((capacity * E::SIZE) as u64)?;
        // SAFETY: the file belongs to this partition's directory, which the
        // broker holds a lock on; only this index resizes it, and only after
        // dropping its mapping (see `trim`).
        let map = unsafe { MmapMut::map_mut(&file)? };
        let mut index = Self {
            backing: Backing::Mapped { file, map },
            entries: kept,
            capacity,
            _entry: std::marker::PhantomData,
        };
        if kept > 0 && !index.is_sorted() {
            index.entries = 0;
        }
        Ok(index)
    }

    fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mapped { map, .. } => &map[..],
            Backing::Vec(v) => &v[..],
        }
    }

    fn is_sorted(&self) -> bool {
        let mut previous: Option<i64> = None;
        for i in 0..self.entries {
            let key = self.entry(i).key();
            if previous.is_some_and(|p| key < p) {
                return false;
            }
            previous = Some(key);
        }
        true
    }

    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    pub fn is_full(&self) -> bool {
        self.entries >= self.capacity
    }

    pub fn entry(&self, i: usize) -> E {
        E::decode(&self.bytes()[i * E::SIZE..(i + 1) * E::SIZE])
    }

    pub fn last(&self) -> Option<E> {
        self.entries.checked_sub(1).map(|i| self.entry(i))
    }

    /// Appends an entry; `false` if the index is full.
    pub fn append(&mut self, entry: E) -> bool {
        if self.is_full() {
            return false;
        }
        let at = self.entries * E::SIZE;
        match &mut self.backing {
            Backing::Mapped { map, .. } => entry.encode(&mut map[at..at + E::SIZE]),
            Backing::Vec(v) => {
                v.resize(at + E::SIZE, 0);
                entry.encode(&mut v[at..at + E::SIZE]);
            }
        }
        self.entries += 1;
        true
    }

    /// The last entry whose key is `<= key` (or `< key` when `strict`).
    pub fn floor(&self, key: i64, strict: bool) -> Option<E> {
        let (mut lo, mut hi) = (0usize, self.entries);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let k = self.entry(mid).key();
            let below = if strict { k < key } else { k <= key };
            if below {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.checked_sub(1).map(|i| self.entry(i))
    }

    pub fn clear(&mut self) {
        self.entries = 0;
    }

    /// Shrinks the file to its entries: the segment is sealed or closing.
    /// On failure the index forgets its entries (lookups then scan from the
    /// segment start, which is slower but still right).
    pub fn trim(&mut self) -> io::Result<()> {
        self.capacity = self.entries.max(1);
        let Backing::Mapped { .. } = &self.backing else {
            return Ok(());
        };
        let len = self.entries * E::SIZE;
        let Backing::Mapped { file, map } =
            std::mem::replace(&mut self.backing, Backing::Vec(Vec::new()))
        else {
            return Ok(());
        };
        drop(map);
        let remapped = file.set_len(len as u64).and_then(|()| {
            if len == 0 {
                return Ok(Backing::Vec(Vec::new()));
            }
            // SAFETY: as in `open`; the previous mapping is gone.
            let map = unsafe { MmapMut::map_mut(&file)? };
            Ok(Backing::Mapped { file, map })
        });
        match remapped {
            Ok(backing) => {
                self.backing = backing;
                Ok(())
            }
            Err(e) => {
                self.entries = 0;
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_finds_the_last_entry_at_or_below_the_key() {
        let mut index = OffsetIndex::in_memory(1024);
        for (rel, pos) in [(0, 0), (10, 4096), (20, 8192)] {
            assert!(index.append(OffsetEntry {
                relative_offset: rel,
                position: pos,
            }));
        }
        assert_eq!(index.floor(15, false).unwrap().position, 4096);
        assert_eq!(index.floor(20, false).unwrap().position, 8192);
        assert_eq!(index.floor(20, true).unwrap().position, 4096);
        assert!(index.floor(0, true).is_none());
    }

    #[test]
    fn a_file_index_survives_trim_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.timeindex");
        let mut index = TimeIndex::open(&path, 1 << 20, false).unwrap();
        for i in 0..5u32 {
            index.append(TimeEntry {
                timestamp: 1_000 + i64::from(i),
                relative_offset: i * 3,
            });
        }
        index.trim().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 5 * 12);
        let reopened = TimeIndex::open(&path, 1 << 20, true).unwrap();
        assert_eq!(reopened.len(), 5);
        assert_eq!(reopened.last().unwrap().relative_offset, 12);
        assert_eq!(reopened.floor(1_002, false).unwrap().relative_offset, 6);
    }

    #[test]
    fn an_unsorted_index_file_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.index");
        let mut bytes = Vec::new();
        for (rel, pos) in [(5u32, 100u32), (3, 200)] {
            bytes.extend_from_slice(&rel.to_be_bytes());
            bytes.extend_from_slice(&pos.to_be_bytes());
        }
        std::fs::write(&path, bytes).unwrap();
        let index = OffsetIndex::open(&path, 1 << 10, true).unwrap();
        assert!(index.is_empty());
    }

    #[test]
    fn a_full_index_refuses_entries() {
        let mut index = OffsetIndex::in_memory(16);
        assert!(index.append(OffsetEntry {
            relative_offset: 1,
            position: 1
        }));
        assert!(index.append(OffsetEntry {
            relative_offset: 2,
            position: 2
        }));
        assert!(!index.append(OffsetEntry {
            relative_offset: 3,
            position: 3
        }));
        assert!(index.is_full());
    }
}
