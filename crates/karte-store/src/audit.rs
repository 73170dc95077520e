//! The audit log: who opened, edited, exported or synced what, and when.
//!
//! Append-only and hash-chained: each entry's hash is SHA-256 over the
//! previous hash and the entry, and each entry is sealed on its own. The
//! latest hash is also kept in the sealed vault header, because removing the
//! last rows leaves a chain that is consistent in itself.

use karte_types::{DeviceId, PatientId, Timestamp, UserId};
use rusqlite::{Connection, params};
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

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum AuditAction {
    ChartOpen,
    /// `operation` names the edit, e.g. `visit.record`.
    ChartEdit {
        operation: String,
    },
    Export {
        format: String,
    },
    Import {
        format: String,
    },
    Sync,
    Unlock,
    UserAdded,
    PassphraseChanged,
    /// The device was enrolled at a hub.
    Enrol,
    /// A chart was shared with another organisation.
    Share {
        org: String,
    },
    /// The vault was opened with the organisation's recovery key.
    Recovery,
}

impl std::fmt::Display for AuditAction {
    /// Short words for a printed log: `open`, `edit visit.record`, `export fhir`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditAction::ChartOpen => f.write_str("open"),
            AuditAction::ChartEdit { operation } => write!(f, "edit {operation}"),
            AuditAction::Export { format } => write!(f, "export {format}"),
            AuditAction::Import { format } => write!(f, "import {format}"),
            AuditAction::Sync => f.write_str("sync"),
            AuditAction::Unlock => f.write_str("unlock"),
            AuditAction::UserAdded => f.write_str("user-added"),
            AuditAction::PassphraseChanged => f.write_str("passphrase-changed"),
            AuditAction::Enrol => f.write_str("enrol"),
            AuditAction::Share { org } => write!(f, "share {org}"),
            AuditAction::Recovery => f.write_str("recovery"),
        }
    }
}

/// One thing a user did, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub action: AuditAction,
    pub patient: Option<PatientId>,
    pub detail: String,
}

/// An event as recorded: numbered, attributed and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub user: UserId,
    /// The user's name when the entry was written.
    pub user_name: String,
    pub device: DeviceId,
    pub event: AuditEvent,
    /// SHA-256 over the previous entry's hash and this entry.
    pub hash: [u8; 32],
}

impl AuditEntry {
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

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
