//! The vault header: one row naming the device, the key-derivation
//! parameters for new passphrases, and (encrypted) the vault's creation time,
//! the head of the audit chain and the key-derivation parameters again.
//!
//! The audit head lives here because deleted rows are invisible to per-row
//! encryption: only a head kept elsewhere shows that the log lost its tail.
//! The parameters are sealed for the same reason the head is: the plaintext
//! copy can be edited by anyone who can write the file, and a lowered copy
//! would make every passphrase set afterwards cheap to guess. The sealed
//! ones are the authority, and they also say whether the vault was made
//! with the tests' cheap parameters.

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
    /// The parameters for new passphrases, marked if they are the tests'.
    pub kdf: KdfParams,
    /// The row's version, bound into its associated data.
    pub version: u64,
}

/// A header sealed before the parameters were: creation time, audit head.
const LEGACY_LEN: usize = 8 + 8 + 32;
/// Then memory, iterations and parallelism, and a byte of flags.
const HEADER_LEN: usize = LEGACY_LEN + 4 + 4 + 4 + 1;
/// The flag of a vault created with `KdfParams::insecure_fast_for_tests`.
const FOR_TESTS: u8 = 1;

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
    out[16..48].copy_from_slice(&header.audit.hash);
    out[48..52].copy_from_slice(&header.kdf.memory_kib.to_be_bytes());
    out[52..56].copy_from_slice(&header.kdf.iterations.to_be_bytes());
    out[56..60].copy_from_slice(&header.kdf.parallelism.to_be_bytes());
    out[60] = if header.kdf.is_for_tests() {
        FOR_TESTS
    } else {
        0
    };
    out
}

/// The header in `bytes`, and whether they held the parameters: a legacy
/// header takes `plaintext`, which can never be marked as the tests'.
fn decode(bytes: &[u8], version: u64, plaintext: KdfParams) -> Option<(VaultHeader, bool)> {
    let be32 = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    if bytes.len() != LEGACY_LEN && bytes.len() != HEADER_LEN {
        return None;
    }
    let created_at = Timestamp(i64::from_be_bytes(bytes[..8].try_into().ok()?));
    let seq = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
    let hash = bytes[16..48].try_into().ok()?;
    let (kdf, sealed) = if bytes.len() == HEADER_LEN {
        let mut kdf = KdfParams::new(be32(48)?, be32(52)?, be32(56)?);
        match bytes[60] {
            0 => {}
            FOR_TESTS => kdf.for_tests = true,
            _ => return None,
        }
        (kdf, true)
    } else {
        (
            KdfParams::new(
                plaintext.memory_kib,
                plaintext.iterations,
                plaintext.parallelism,
            ),
            false,
        )
    };
    Some((
        VaultHeader {
            created_at,
            audit: AuditHead { seq, hash },
            kdf,
            version,
        },
        sealed,
    ))
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
                    kdf: KdfParams::new(r.get(1)?, r.get(2)?, r.get(3)?),
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

/// The sealed header, and whether it held the key-derivation parameters. A
/// header sealed before they were takes the plaintext copy in `meta` (never
/// marked as the tests'); writing it seals them.
pub(crate) fn read(
    conn: &Connection,
    key: &SecretKey,
    meta: &VaultMeta,
) -> Result<(VaultHeader, bool), StoreError> {
    let (version, sealed): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT header_version, header FROM vault_meta WHERE singleton = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let version = version as u64;
    open(key, &aad(&meta.device, version), &sealed)
        .ok()
        .and_then(|plain| decode(&plain, version, meta.kdf))
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

/// Seals `header` in the row as a vault from before the parameters were
/// sealed had it: creation time and audit head only.
#[cfg(test)]
pub(crate) fn write_legacy(
    conn: &Connection,
    key: &SecretKey,
    device: &DeviceId,
    header: &VaultHeader,
) {
    let legacy = &encode(header)[..LEGACY_LEN];
    let sealed = seal(key, &aad(device, header.version), legacy).unwrap();
    conn.execute(
        "UPDATE vault_meta SET header = ?1 WHERE singleton = 1",
        params![sealed],
    )
    .unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kdf: KdfParams) -> VaultHeader {
        VaultHeader {
            created_at: Timestamp(1_764_000_000_000),
            audit: AuditHead {
                seq: 42,
                hash: [7; 32],
            },
            kdf,
            version: 9,
        }
    }

    #[test]
    fn header_bytes_round_trip_with_the_parameters_and_their_mark() {
        let plaintext = KdfParams::strong();
        for kdf in [KdfParams::strong(), KdfParams::insecure_fast_for_tests()] {
            let bytes = encode(&header(kdf));
            let (decoded, sealed) = decode(&bytes, 9, plaintext).unwrap();
            assert_eq!(decoded, header(kdf));
            assert_eq!(decoded.kdf.is_for_tests(), kdf.is_for_tests());
            assert!(sealed);
        }
        let bytes = encode(&header(KdfParams::strong()));
        assert_eq!(decode(&bytes[1..], 9, plaintext), None);
        let mut unknown_flag = bytes;
        unknown_flag[HEADER_LEN - 1] = 2;
        assert_eq!(decode(&unknown_flag, 9, plaintext), None);
    }

    #[test]
    fn a_legacy_header_takes_the_plaintext_parameters_never_marked() {
        let bytes = encode(&header(KdfParams::insecure_fast_for_tests()));
        let plaintext = KdfParams::insecure_fast_for_tests();
        let (decoded, sealed) = decode(&bytes[..LEGACY_LEN], 9, plaintext).unwrap();
        assert!(!sealed);
        assert!(!decoded.kdf.is_for_tests());
        assert!(decoded.kdf.same_cost(&plaintext));
        assert_eq!(decoded.audit, header(plaintext).audit);
    }
}
