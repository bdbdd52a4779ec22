//! The texts of every group's sample event — event id, error message and resource ARN — kept
//! apart from the groups, in memory up to a budget and past it in an unnamed temporary file.
//!
//! They are most of what a group weighs: a failed request's message names the caller and the
//! resource in a few hundred bytes, and a scanner probing bucket names makes a group, and a
//! sample, of every probe. Held in memory they made a million groups cost about 0.95 GB; here
//! they cost 16 bytes a group in memory, and the file, which the system removes however the run
//! ends, holds the rest. The budget ([`MEMORY_BUDGET`] per worker) is a constant rather than a
//! flag: below it nothing touches the disk, above it the texts are only read when a row is made.
//!
//! A sample that an earlier event replaces leaves its record behind, so a store is rewritten
//! with only the records still used once the dead ones outweigh the live ones
//! ([`Samples::needs_compaction`]): the file stays within twice the live texts plus the budget,
//! whatever order the events arrive in.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Sample texts kept in memory per store before the rest go to a temporary file.
pub const MEMORY_BUDGET: usize = 16 << 20;

/// Bytes gathered before one write to the file.
const WRITE_CHUNK: usize = 64 << 10;

/// The texts of one sample event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleTexts {
    pub event_id: Option<String>,
    pub error_message: Option<String>,
    pub resource_arn: Option<String>,
}

/// Where one sample's texts are: a store of the summary, and a record in it.
#[derive(Clone, Copy, Debug)]
pub struct SampleAt {
    store: u32,
    len: u32,
    offset: u64,
}

/// Every store of one summary: the first is the one this summary writes to; the others came
/// with the summaries merged into it and are only read.
#[derive(Debug)]
pub struct Samples {
    stores: Vec<Store>,
    budget: usize,
}

impl Default for Samples {
    fn default() -> Self {
        Samples::with_budget(MEMORY_BUDGET)
    }
}

impl Samples {
    pub fn with_budget(budget: usize) -> Self {
        Samples { stores: vec![Store::default()], budget }
    }

    /// Stores the texts of a new sample that replaces `old`, if any.
    pub fn put(
        &mut self,
        event_id: Option<&str>,
        error_message: Option<&str>,
        resource_arn: Option<&str>,
        old: Option<SampleAt>,
    ) -> SampleAt {
        let record = encode([event_id, error_message, resource_arn]);
        if let Some(old) = old {
            self.release(old);
        }
        self.stores[0].append(&record, self.budget)
    }

    /// A sample no group uses any longer: its record may go at the next compaction.
    pub fn release(&mut self, at: SampleAt) {
        if at.store == 0 {
            self.stores[0].live -= u64::from(at.len);
        }
    }

    /// The record of `at` copied into this summary's own store (a sample merged in from
    /// another summary keeps its record where it is: this is for compaction).
    fn copy_record(&mut self, at: SampleAt, into: &mut Store) -> io::Result<SampleAt> {
        let bytes = self.stores[at.store as usize].read(at.offset, at.len as usize)?;
        Ok(into.append(&bytes, self.budget))
    }

    /// The texts of a sample. A store that cannot be read back (the temporary file failing
    /// under the run) gives no texts rather than stopping the report; it is logged.
    pub fn get(&self, at: SampleAt) -> SampleTexts {
        let read = self.stores[at.store as usize].read(at.offset, at.len as usize);
        match read.and_then(|bytes| decode(&bytes)) {
            Ok([event_id, error_message, resource_arn]) => {
                SampleTexts { event_id, error_message, resource_arn }
            }
            Err(error) => {
                tracing::error!("a sample event's texts could not be read back: {error}");
                SampleTexts::default()
            }
        }
    }

    /// The sample's event id, for choosing the earliest sample when two share a time.
    pub fn event_id(&self, at: SampleAt) -> Option<String> {
        self.get(at).event_id
    }

    /// Takes `other`'s stores; returns what to add to the store number of its samples.
    pub fn absorb(&mut self, other: Samples) -> u32 {
        let shift = self.stores.len() as u32;
        self.stores.extend(other.stores);
        shift
    }

    /// When the dead records of the written store outweigh the live ones past the budget.
    pub fn needs_compaction(&self) -> bool {
        let own = &self.stores[0];
        own.size() > self.budget as u64 && own.size() > 2 * own.live
    }

    /// Rewrites the written store with only the records `live` names, and moves them there.
    pub fn compact<'a>(&mut self, live: impl Iterator<Item = &'a mut SampleAt>) {
        let mut fresh = Store::default();
        let mut moved = Vec::new();
        for at in live.filter(|at| at.store == 0) {
            match self.copy_record(*at, &mut fresh) {
                Ok(new) => moved.push((at, new)),
                // Nothing is changed when a record cannot be copied: the old store stays.
                Err(error) => {
                    tracing::warn!("sample texts not compacted: {error}");
                    return;
                }
            }
        }
        for (at, new) in moved {
            *at = new;
        }
        self.stores[0] = fresh;
    }
}

impl SampleAt {
    /// The same record once its summary's stores are appended behind `shift` others.
    pub fn shifted(self, shift: u32) -> SampleAt {
        SampleAt { store: self.store + shift, ..self }
    }
}

/// One store: a memory part up to the budget, then the file.
#[derive(Debug, Default)]
struct Store {
    memory: Vec<u8>,
    spill: Option<Spill>,
    /// Bytes of the records still some group's sample.
    live: u64,
}

#[derive(Debug)]
struct Spill {
    file: File,
    /// Bytes in the file; the records after them are still in `pending`.
    written: u64,
    pending: Vec<u8>,
}

impl Store {
    fn size(&self) -> u64 {
        let spilled = self.spill.as_ref().map_or(0, |s| s.written + s.pending.len() as u64);
        self.memory.len() as u64 + spilled
    }

    fn append(&mut self, record: &[u8], budget: usize) -> SampleAt {
        let at = SampleAt { store: 0, len: record.len() as u32, offset: self.size() };
        self.live += record.len() as u64;
        if self.spill.is_none() && self.memory.len() + record.len() > budget {
            self.spill = Spill::create();
        }
        match &mut self.spill {
            Some(spill) => spill.append(record),
            None => self.memory.extend_from_slice(record),
        }
        at
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let in_memory = self.memory.len() as u64;
        if offset < in_memory {
            let start = offset as usize;
            return Ok(self.memory[start..start + len].to_vec());
        }
        let spill = self.spill.as_ref().ok_or_else(|| io::Error::other("no such record"))?;
        let offset = offset - in_memory;
        if offset >= spill.written {
            let start = (offset - spill.written) as usize;
            return Ok(spill.pending[start..start + len].to_vec());
        }
        let mut bytes = vec![0; len];
        spill.file.read_exact_at(&mut bytes, offset)?;
        Ok(bytes)
    }
}

impl Spill {
    /// `None` (with a warning) when no temporary file can be made: the texts then stay in
    /// memory, as they did before there was a budget.
    fn create() -> Option<Spill> {
        match tempfile::tempfile() {
            Ok(file) => Some(Spill { file, written: 0, pending: Vec::new() }),
            Err(error) => {
                tracing::warn!("sample texts stay in memory: no temporary file: {error}");
                None
            }
        }
    }

    fn append(&mut self, record: &[u8]) {
        self.pending.extend_from_slice(record);
        if self.pending.len() >= WRITE_CHUNK {
            self.flush();
        }
    }

    /// A failed write keeps the bytes pending (in memory), so no record is ever lost.
    fn flush(&mut self) {
        match self.file.write_all_at(&self.pending, self.written) {
            Ok(()) => {
                self.written += self.pending.len() as u64;
                self.pending.clear();
            }
            Err(error) => tracing::warn!("sample texts kept in memory: {error}"),
        }
    }
}

/// A record: for each text its length plus one (zero for none) as four little-endian bytes,
/// then the texts.
fn encode(texts: [Option<&str>; 3]) -> Vec<u8> {
    let size: usize = texts.iter().map(|t| 4 + t.map_or(0, str::len)).sum();
    let mut record = Vec::with_capacity(size);
    for text in texts {
        let len = text.map_or(0, |t| t.len() as u32 + 1);
        record.extend_from_slice(&len.to_le_bytes());
    }
    for text in texts.into_iter().flatten() {
        record.extend_from_slice(text.as_bytes());
    }
    record
}

fn decode(record: &[u8]) -> io::Result<[Option<String>; 3]> {
    let corrupt = || io::Error::other("corrupt sample record");
    let mut texts: [Option<String>; 3] = Default::default();
    let mut at = 12;
    for (i, text) in texts.iter_mut().enumerate() {
        let len = record.get(4 * i..4 * i + 4).ok_or_else(corrupt)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| corrupt())?) as usize;
        if len == 0 {
            continue;
        }
        let bytes = record.get(at..at + len - 1).ok_or_else(corrupt)?;
        *text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| corrupt())?);
        at += len - 1;
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(i: usize) -> [String; 3] {
        [format!("id-{i}"), format!("message {i} ").repeat(i % 7), format!("arn:aws:s3:::b-{i}")]
    }

    /// A zero budget sends every record to the file; what comes back is what went in, also
    /// from the part not yet written, and also after the store is absorbed by another.
    #[test]
    fn records_come_back_from_memory_from_the_file_and_from_pending_bytes() {
        for budget in [0, 100, MEMORY_BUDGET] {
            let mut samples = Samples::with_budget(budget);
            let at: Vec<SampleAt> = (0..3000)
                .map(|i| {
                    let [id, message, arn] = texts(i);
                    let message = (i % 5 != 0).then_some(message.as_str());
                    samples.put(Some(&id), message, Some(&arn), None)
                })
                .collect();
            let mut merged = Samples::with_budget(budget);
            merged.put(Some("x"), None, None, None);
            let shift = merged.absorb(samples);
            for (i, at) in at.into_iter().enumerate() {
                let [id, message, arn] = texts(i);
                let expected = SampleTexts {
                    event_id: Some(id),
                    error_message: (i % 5 != 0).then_some(message),
                    resource_arn: Some(arn),
                };
                assert_eq!(merged.get(at.shifted(shift)), expected, "record {i}, budget {budget}");
            }
        }
    }

    /// One group whose sample is replaced a hundred thousand times (events arriving newest
    /// first) keeps a store the size of a few records, not of every record ever written.
    #[test]
    fn replaced_samples_do_not_pile_up() {
        let mut samples = Samples::with_budget(1000);
        let mut at = None;
        for i in 0..100_000 {
            let id = format!("id-{i:06}");
            let new = samples.put(Some(&id), Some("Access Denied"), None, at);
            at = Some(new);
            if samples.needs_compaction() {
                samples.compact(at.iter_mut());
            }
        }
        assert!(samples.stores[0].size() <= 2 * 1000 + 64, "{}", samples.stores[0].size());
        assert_eq!(samples.event_id(at.unwrap()).as_deref(), Some("id-099999"));
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        assert!(decode(&[9, 0, 0, 0]).is_err());
        assert!(decode(&[5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'a']).is_err());
        assert_eq!(
            decode(&encode([None, Some(""), Some("é")])).unwrap(),
            [None, Some(String::new()), Some("é".into())]
        );
    }
}
