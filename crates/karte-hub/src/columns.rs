//! Turning database column values into the model's types, and back, the same
//! way for both backends. A value of the wrong shape is a damaged database.

use karte_types::{DeviceId, PatientId, Timestamp};

use crate::{AuditHead, Device, DeviceStatus, FeedChange, FeedEntry, HubStoreError, OrgId};

pub(crate) fn hash32(bytes: Vec<u8>) -> Result<[u8; 32], HubStoreError> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|b| HubStoreError::corrupt(format!("a hash of {} bytes", b.len())))
}

pub(crate) fn prefix16(bytes: Vec<u8>) -> Result<[u8; 16], HubStoreError> {
    <[u8; 16]>::try_from(bytes)
        .map_err(|b| HubStoreError::corrupt(format!("an actor prefix of {} bytes", b.len())))
}

/// A feed position as the databases store it (a signed 64-bit integer).
pub(crate) fn position_to_sql(position: u64) -> i64 {
    // A cursor comes from a device and may be anything; one past every real
    // position reads as "the end of the feed".
    i64::try_from(position).unwrap_or(i64::MAX)
}

pub(crate) fn position_from_sql(position: i64) -> Result<u64, HubStoreError> {
    u64::try_from(position).map_err(|_| HubStoreError::corrupt(format!("feed position {position}")))
}

/// The doc ids of a receipt, as one text column.
pub(crate) fn docs_to_text(docs: &[PatientId]) -> String {
    serde_json::to_string(docs).expect("a list of strings serialises")
}

pub(crate) fn docs_from_text(text: &str) -> Result<Vec<PatientId>, HubStoreError> {
    serde_json::from_str(text).map_err(|_| HubStoreError::corrupt("a receipt's chart list"))
}

/// A feed entry's columns, joined with its change's (NULL for an event).
#[derive(Debug)]
pub(crate) struct EntryColumns {
    pub position: i64,
    pub kind: String,
    pub doc: String,
    pub hash: Option<Vec<u8>>,
    pub bytes: Option<Vec<u8>>,
    pub signer: Option<String>,
    pub signature: Option<Vec<u8>>,
}

impl EntryColumns {
    pub(crate) fn into_entry(self) -> Result<FeedEntry, HubStoreError> {
        let (position, doc) = (position_from_sql(self.position)?, PatientId(self.doc));
        match (
            self.kind.as_str(),
            self.hash,
            self.bytes,
            self.signer,
            self.signature,
        ) {
            ("change", Some(hash), Some(bytes), Some(signer), Some(signature)) => {
                Ok(FeedEntry::Change(FeedChange {
                    position,
                    doc,
                    hash: hash32(hash)?,
                    bytes,
                    signer: DeviceId(signer),
                    signature,
                }))
            }
            ("share", ..) => Ok(FeedEntry::Shared { position, doc }),
            ("unshare", ..) => Ok(FeedEntry::Unshared { position, doc }),
            _ => Err(HubStoreError::corrupt(format!(
                "feed entry {position} without its change"
            ))),
        }
    }
}

/// A device's columns, as `DEVICE_COLUMNS` of each backend lists them.
#[derive(Debug)]
pub(crate) struct DeviceColumns {
    pub id: String,
    pub org: String,
    pub public_key: Vec<u8>,
    pub actor_prefix: Vec<u8>,
    pub status: String,
    pub enrolled_at: i64,
    pub last_seen: Option<i64>,
    pub audit_seq: Option<i64>,
    pub audit_hash: Option<Vec<u8>>,
    pub served_up_to: i64,
    pub handed_in_at: Option<i64>,
}

impl DeviceColumns {
    pub(crate) fn into_device(self) -> Result<Device, HubStoreError> {
        let audit_head = match (self.audit_seq, self.audit_hash) {
            (Some(seq), Some(hash)) => Some(AuditHead {
                seq: seq as u64,
                hash: hash32(hash)?,
            }),
            _ => None,
        };
        Ok(Device {
            id: DeviceId(self.id),
            org: OrgId(self.org),
            public_key: self.public_key,
            actor_prefix: prefix16(self.actor_prefix)?,
            status: DeviceStatus::parse(&self.status)?,
            enrolled_at: Timestamp(self.enrolled_at),
            last_seen: self.last_seen.map(Timestamp),
            audit_head,
            served_up_to: position_from_sql(self.served_up_to)?,
            handed_in_at: self.handed_in_at.map(Timestamp),
        })
    }
}
