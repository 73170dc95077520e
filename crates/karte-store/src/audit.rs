//! The audit log: who opened, edited, exported or synced what, and when.
//!
//! Append-only and hash-chained: each entry's hash is SHA-256 over the
//! previous hash and the entry, and each entry is sealed on its own. The
//! latest hash is also kept in the sealed vault header, because removing the
//! last rows leaves a chain that is consistent in itself.

use karte_types::{DeviceId, UserId};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::crypto::{Aad, SecretKey, open, seal, sha256};
use crate::{StoreError, UserRecord};

pub(crate) const V1: &str = "
CREATE TABLE audit_log (
    -- A counter: 1, 2, 3, ... with no gaps.
    seq INTEGER PRIMARY KEY,
    -- Sealed: the entry's hash, then the entry as JSON.
    entry BLOB NOT NULL
);
";

pub use karte_types::{AuditAction, AuditEntry, AuditEvent};

/// The end of the chain: the number and hash of the latest entry, kept in
/// the vault header and reported to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl AuditHead {
    /// The head of an empty log.
    pub const EMPTY: AuditHead = AuditHead {
        seq: 0,
        hash: [0; 32],
    };
}

/// The part of an entry the hash covers.
#[derive(Serialize, Deserialize)]
struct Body {
    seq: u64,
    user: UserId,
    user_name: String,
    device: DeviceId,
    event: AuditEvent,
}

fn aad(seq: &str) -> Aad<'_> {
    Aad {
        table: "audit_log",
        row: seq,
        version: 0,
    }
}

fn chain(previous: &[u8; 32], body: &[u8]) -> [u8; 32] {
    sha256(&[b"karte/audit/v1", previous, body])
}

/// One entry as it leaves the vault for the hub: its number, its chain
/// hash and the bytes the hash covers (the entry as JSON). Whoever holds
/// the hash of the entry before it checks it with [`AuditRecord::follows`],
/// and reads it with [`AuditRecord::entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    pub hash: [u8; 32],
    pub body: Vec<u8>,
}

impl AuditRecord {
    /// Whether this entry is the one after an entry of hash `previous`:
    /// its hash is the chain's over `previous` and its bytes.
    pub fn follows(&self, previous: &[u8; 32]) -> bool {
        chain(previous, &self.body) == self.hash
    }

    /// The entry its bytes hold, if they hold one of number `seq`.
    pub fn entry(&self) -> Option<AuditEntry> {
        let body: Body = serde_json::from_slice(&self.body).ok()?;
        (body.seq == self.seq).then_some(AuditEntry {
            seq: body.seq,
            user: body.user,
            user_name: body.user_name,
            device: body.device,
            event: body.event,
            hash: self.hash,
        })
    }
}

/// Seals the entry after `head` and returns the new head. Runs inside the
/// caller's transaction, which also writes the new head into the header.
pub(crate) fn append(
    conn: &Connection,
    key: &SecretKey,
    head: &AuditHead,
    user: &UserRecord,
    device: &DeviceId,
    event: AuditEvent,
) -> Result<AuditHead, StoreError> {
    let seq = head.seq + 1;
    let body = Body {
        seq,
        user: user.id.clone(),
        user_name: user.name.clone(),
        device: device.clone(),
        event,
    };
    let body = serde_json::to_vec(&body).expect("an audit entry always serialises");
    let hash = chain(&head.hash, &body);
    let mut plain = Vec::with_capacity(32 + body.len());
    plain.extend_from_slice(&hash);
    plain.extend_from_slice(&body);
    let sealed = seal(key, &aad(&seq.to_string()), &plain)?;
    conn.prepare_cached("INSERT INTO audit_log (seq, entry) VALUES (?1, ?2)")?
        .execute(params![seq as i64, sealed])?;
    Ok(AuditHead { seq, hash })
}

/// Every entry, after checking each one, the chain between them and its end
/// against `head` from the header.
pub(crate) fn verified_log(
    conn: &Connection,
    key: &SecretKey,
    head: &AuditHead,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT seq, entry FROM audit_log ORDER BY seq")?;
    let mut rows = statement.query([])?;
    let mut entries = Vec::with_capacity(head.seq as usize);
    let mut previous = AuditHead::EMPTY.hash;
    let mut expected = 1u64;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        if seq != expected as i64 {
            // A gap (or a number that was never written) is a removed or
            // inserted entry.
            return Err(StoreError::AuditTampered { seq: expected });
        }
        let seq = expected;
        let sealed: Vec<u8> = row.get(1)?;
        let plain = open(key, &aad(&seq.to_string()), &sealed)
            .map_err(|_| StoreError::integrity(format!("audit entry {seq}")))?;
        let tampered = StoreError::AuditTampered { seq };
        if plain.len() < 32 {
            return Err(tampered);
        }
        let (stored_hash, body_bytes) = plain.split_at(32);
        let Ok(body) = serde_json::from_slice::<Body>(body_bytes) else {
            return Err(tampered);
        };
        let hash = chain(&previous, body_bytes);
        if body.seq != seq || hash[..] != stored_hash[..] {
            return Err(tampered);
        }
        entries.push(AuditEntry {
            seq,
            user: body.user,
            user_name: body.user_name,
            device: body.device,
            event: body.event,
            hash,
        });
        previous = hash;
        expected += 1;
    }
    let last = expected - 1;
    if last < head.seq {
        return Err(StoreError::AuditTruncated {
            expected: head.seq,
            found: last,
        });
    }
    if last > head.seq {
        return Err(StoreError::AuditTampered { seq: head.seq + 1 });
    }
    if previous != head.hash {
        return Err(StoreError::AuditTampered { seq: last });
    }
    Ok(entries)
}

/// The entries after number `after`, at most `limit` of them, each
/// checked as [`verified_log`] checks the whole log: sealed in its row, its
/// number, its link to the one before (from entry `after` on), and the
/// last against `head` when the list reaches it.
pub(crate) fn records_after(
    conn: &Connection,
    key: &SecretKey,
    head: &AuditHead,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditRecord>, StoreError> {
    if after > head.seq {
        return Err(StoreError::AuditTruncated {
            expected: after,
            found: head.seq,
        });
    }
    let read = |seq: u64| -> Result<Option<AuditRecord>, StoreError> {
        let sealed: Option<Vec<u8>> = conn
            .prepare_cached("SELECT entry FROM audit_log WHERE seq = ?1")?
            .query_row([seq as i64], |r| r.get(0))
            .optional()?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = open(key, &aad(&seq.to_string()), &sealed)
            .map_err(|_| StoreError::integrity(format!("audit entry {seq}")))?;
        if plain.len() < 32 {
            return Err(StoreError::AuditTampered { seq });
        }
        let (hash, body) = plain.split_at(32);
        Ok(Some(AuditRecord {
            seq,
            hash: hash.try_into().expect("32 bytes"),
            body: body.to_vec(),
        }))
    };
    let mut previous = if after == 0 {
        AuditHead::EMPTY.hash
    } else {
        read(after)?
            .ok_or(StoreError::AuditTampered { seq: after })?
            .hash
    };
    let last = head.seq.min(after.saturating_add(limit as u64));
    let mut records = Vec::with_capacity((last - after) as usize);
    for seq in after + 1..=last {
        let record = read(seq)?.ok_or(StoreError::AuditTruncated {
            expected: head.seq,
            found: seq - 1,
        })?;
        if !record.follows(&previous) || record.entry().is_none() {
            return Err(StoreError::AuditTampered { seq });
        }
        previous = record.hash;
        records.push(record);
    }
    if last == head.seq && previous != head.hash {
        return Err(StoreError::AuditTampered { seq: last });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_with_a_kind_tag() {
        let action = AuditAction::ChartEdit {
            operation: "visit.record".into(),
        };
        assert_eq!(
            serde_json::to_string(&action).unwrap(),
            r#"{"kind":"chart-edit","operation":"visit.record"}"#
        );
        assert_eq!(
            serde_json::to_string(&AuditAction::ChartOpen).unwrap(),
            r#"{"kind":"chart-open"}"#
        );
    }

    #[test]
    fn the_chain_depends_on_every_byte_and_the_previous_hash() {
        let a = chain(&[0; 32], b"entry");
        assert_ne!(a, chain(&[0; 32], b"entrz"));
        assert_ne!(a, chain(&[1; 32], b"entry"));
    }
}
