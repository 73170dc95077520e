//! The vault header: one row naming the device, the key-derivation
//! parameters for new passphrases, and (encrypted) the vault's creation time
//! and the head of the audit chain.
//!
//! The audit head lives here because deleted rows are invisible to per-row
//! encryption: only a head kept elsewhere shows that the log lost its tail.

use karte_types::{DeviceId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::audit::AuditHead;
use crate::crypto::{Aad, SecretKey, kdf::KdfParams, open, seal};

pub(crate) const V1: &str = "
CREATE TABLE vault_meta (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- Plaintext: a random id and the cost parameters of key derivation.
    device_id TEXT NOT NULL,
    kdf_memory_kib INTEGER NOT NULL,
    kdf_iterations INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    -- A counter, bound into the header's associated data.
    header_version INTEGER NOT NULL,
    -- Sealed: the creation time and the audit head.
    header BLOB NOT NULL
);
";

/// What the header row holds in plaintext.
#[derive(Debug, Clone)]
pub(crate) struct VaultMeta {
    pub device: DeviceId,
    /// Parameters for passphrases set from now on.
    pub kdf: KdfParams,
}

/// The sealed part of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VaultHeader {
    pub created_at: Timestamp,
    pub audit: AuditHead,
    /// The row's version, bound into its associated data.
    pub version: u64,
}

const HEADER_LEN: usize = 8 + 8 + 32;

fn aad(device: &DeviceId, version: u64) -> Aad<'_> {
    Aad {
        table: "vault_meta",
        row: device.as_str(),
        version,
    }
}

fn encode(header: &VaultHeader) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(&header.created_at.millis().to_be_bytes());
    out[8..16].copy_from_slice(&header.audit.seq.to_be_bytes());
    out[16..].copy_from_slice(&header.audit.hash);
    out
}

fn decode(bytes: &[u8], version: u64) -> Option<VaultHeader> {
    let bytes: &[u8; HEADER_LEN] = bytes.try_into().ok()?;
    let created_at = Timestamp(i64::from_be_bytes(bytes[..8].try_into().ok()?));
    let seq = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
    let hash = bytes[16..].try_into().ok()?;
    Some(VaultHeader {
        created_at,
        audit: AuditHead { seq, hash },
        version,
    })
}

pub(crate) fn insert(
    conn: &Connection,
    key: &SecretKey,
    meta: &VaultMeta,
    header: &VaultHeader,
) -> Result<(), StoreError> {
    let sealed = seal(key, &aad(&meta.device, header.version), &encode(header))?;
    conn.execute(
        "INSERT INTO vault_meta (singleton, device_id, kdf_memory_kib, kdf_iterations, kdf_parallelism, header_version, header)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            meta.device.as_str(),
            meta.kdf.memory_kib,
            meta.kdf.iterations,
            meta.kdf.parallelism,
            header.version as i64,
            sealed
        ],
    )?;
    Ok(())
}

pub(crate) fn read_meta(conn: &Connection) -> Result<VaultMeta, StoreError> {
    let row = conn
        .query_row(
            "SELECT device_id, kdf_memory_kib, kdf_iterations, kdf_parallelism FROM vault_meta WHERE singleton = 1",
            [],
            |r| {
                Ok(VaultMeta {
                    device: DeviceId(r.get(0)?),
                    kdf: KdfParams { memory_kib: r.get(1)?, iterations: r.get(2)?, parallelism: r.get(3)? },
                })
            },
        )
        .optional()?;
    let meta = row.ok_or_else(|| StoreError::corrupt("the vault header is missing"))?;
    if let Some(problem) = meta.kdf.problem() {
        return Err(StoreError::corrupt(format!(
            "the vault header's key-derivation parameters: {problem}"
        )));
    }
    Ok(meta)
}

pub(crate) fn read(
    conn: &Connection,
    key: &SecretKey,
    device: &DeviceId,
) -> Result<VaultHeader, StoreError> {
    let (version, sealed): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT header_version, header FROM vault_meta WHERE singleton = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let version = version as u64;
    open(key, &aad(device, version), &sealed)
        .ok()
        .and_then(|plain| decode(&plain, version))
        .ok_or_else(|| StoreError::integrity("the vault header"))
}

/// Writes `header` as the next version of the header row and returns it as
/// written. Called inside the transaction that made the change it records.
pub(crate) fn write(
    conn: &Connection,
    key: &SecretKey,
    device: &DeviceId,
    header: &VaultHeader,
) -> Result<VaultHeader, StoreError> {
    let next = VaultHeader {
        version: header.version + 1,
        ..*header
    };
    let sealed = seal(key, &aad(device, next.version), &encode(&next))?;
    let changed = conn
        .prepare_cached("UPDATE vault_meta SET header_version = ?1, header = ?2 WHERE singleton = 1 AND header_version = ?3")?
        .execute(params![next.version as i64, sealed, header.version as i64])?;
    if changed != 1 {
        return Err(StoreError::integrity(
            "the vault header (changed behind this process's back)",
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_round_trip() {
        let header = VaultHeader {
            created_at: Timestamp(1_764_000_000_000),
            audit: AuditHead {
                seq: 42,
                hash: [7; 32],
            },
            version: 9,
        };
        assert_eq!(decode(&encode(&header), 9), Some(header));
        assert_eq!(decode(&encode(&header)[1..], 9), None);
    }
}
