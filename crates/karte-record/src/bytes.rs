//! Reading saved and received bytes strictly.
//!
//! Automerge's incremental load forgives: a truncated or corrupt trailing
//! chunk is dropped with a log line and the load "succeeds". A clinical record
//! must not lose a change that way, so the bytes are split into chunks here and
//! each is parsed and checked on its own; any damage is an error.
//!
//! A chunk is `magic (4) | checksum (4) | type (1) | length (ULEB128) | data`;
//! the checksum is the first four bytes of the change's hash.

use automerge::{Automerge, Change};

use crate::RecordError;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;

/// One chunk of saved bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chunk<'a> {
    /// A whole document, as `save` writes it.
    Document(&'a [u8]),
    /// One change, as `save_after` writes them one after another.
    Change(&'a [u8]),
}

/// Splits concatenated chunks, checking that each one is whole.
pub(crate) fn split(mut bytes: &[u8]) -> Result<Vec<Chunk<'_>>, RecordError> {
    let mut chunks = Vec::new();
    while !bytes.is_empty() {
        let offset_note =
            |what: &str| RecordError::Corrupt(format!("chunk {}: {what}", chunks.len() + 1));
        if bytes.len() < 9 || bytes[..4] != MAGIC {
            return Err(offset_note("not an Automerge chunk (bad magic bytes)"));
        }
        let kind = bytes[8];
        let (length, length_size) =
            uleb128(&bytes[9..]).ok_or_else(|| offset_note("bad length"))?;
        let total = 9usize
            .checked_add(length_size)
            .and_then(|n| n.checked_add(usize::try_from(length).ok()?))
            .ok_or_else(|| offset_note("bad length"))?;
        if total > bytes.len() {
            return Err(offset_note("truncated"));
        }
        let (chunk, rest) = bytes.split_at(total);
        chunks.push(match kind {
            DOCUMENT => Chunk::Document(chunk),
            CHANGE | COMPRESSED_CHANGE => Chunk::Change(chunk),
            other => return Err(offset_note(&format!("unsupported chunk type {other}"))),
        });
        bytes = rest;
    }
    Ok(chunks)
}

fn uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let low = u64::from(byte & 0x7f);
        let shift = 7 * i as u32;
        if shift == 63 && low > 1 {
            return None;
        }
        value |= low << shift;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Loads a document chunk; its head hashes are verified.
pub(crate) fn load_document(chunk: &[u8]) -> Result<Automerge, RecordError> {
    Automerge::load(chunk).map_err(|e| RecordError::Corrupt(e.to_string()))
}

/// Parses one change chunk and checks it against its checksum.
pub(crate) fn parse_change(chunk: &[u8]) -> Result<Change, RecordError> {
    let change = Change::try_from(chunk).map_err(|e| RecordError::Corrupt(e.to_string()))?;
    if change.hash().0[..4] != chunk[4..8] {
        return Err(RecordError::Corrupt(
            "a change does not match its checksum".to_owned(),
        ));
    }
    Ok(change)
}

/// Every change in `bytes`, whichever mix of documents and changes they hold.
pub(crate) fn changes(bytes: &[u8]) -> Result<Vec<Change>, RecordError> {
    let mut out = Vec::new();
    for chunk in split(bytes)? {
        match chunk {
            Chunk::Change(c) => out.push(parse_change(c)?),
            Chunk::Document(d) => out.extend(load_document(d)?.get_changes(&[])),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb128_reads_lengths_and_rejects_overlong_ones() {
        assert_eq!(uleb128(&[0x05]), Some((5, 1)));
        assert_eq!(uleb128(&[0xe5, 0x8e, 0x26]), Some((624_485, 3)));
        assert_eq!(uleb128(&[0x80]), None);
        assert_eq!(uleb128(&[0xff; 11]), None);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        assert!(split(b"hello world").is_err());
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0, 0, 0, 0, CHANGE, 10, 1, 2]);
        assert!(matches!(split(&chunk), Err(RecordError::Corrupt(m)) if m.contains("truncated")));
        assert!(split(&[]).unwrap().is_empty());
    }
}
