//! Who changed what, and when: the commit message every change carries, and
//! the history read back from it.
//!
//! Every edit is one Automerge change committed explicitly with a message such
//! as `{"op":"visit.record","author":{"user":"u1","user_name":"佐藤","device":"d1"},"at":1795564800000}`
//! and the edit's time in seconds. The history of changes is the audit trail.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, ChangeHash};
use karte_types::{Author, DeviceId, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Everything an edit needs from outside: who, and when.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub author: &'a Author,
    pub at: Timestamp,
}

/// A fresh actor id for one process on one device: 16 bytes bound to the
/// device (from a hash of its id) and 16 bytes of a nonce the caller draws at
/// process start. A nonce must never be reused: the same actor writing two
/// different changes with one sequence number breaks every later merge.
pub fn actor_for(device: &DeviceId, process_nonce: [u8; 16]) -> ActorId {
    let digest = Sha256::digest(device.as_str().as_bytes());
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(&digest[..16]);
    bytes[16..].copy_from_slice(&process_nonce);
    ActorId::from(bytes)
}

/// Whether `actor` was made by [`actor_for`] for `device`.
pub fn actor_is_of_device(actor: &ActorId, device: &DeviceId) -> bool {
    let digest = Sha256::digest(device.as_str().as_bytes());
    actor.to_bytes().len() == 32 && device_prefix(actor) == &digest[..16]
}

/// The bytes of an actor id that name its device (the first 16 of an id
/// from [`actor_for`]); the whole id when it is shorter. Every change one
/// device writes, under any of its actors, has the same prefix.
pub fn device_prefix(actor: &ActorId) -> &[u8] {
    let bytes = actor.to_bytes();
    &bytes[..bytes.len().min(16)]
}

/// The message of a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CommitMessage {
    pub op: String,
    pub author: Author,
    /// Milliseconds; the change's own time field holds only seconds.
    pub at: Timestamp,
}

pub(crate) fn commit_options(operation: &str, edit: &Edit<'_>) -> CommitOptions {
    let message = CommitMessage {
        op: operation.to_owned(),
        author: edit.author.clone(),
        at: edit.at,
    };
    let text = serde_json::to_string(&message).expect("a commit message serialises");
    CommitOptions::default()
        .with_message(text)
        .with_time(edit.at.0.div_euclid(1000))
}

/// Reads a change's message; `None` for a change not made by Karte.
pub(crate) fn parse_message(message: Option<&str>) -> Option<CommitMessage> {
    serde_json::from_str(message?).ok()
}

/// One change of a chart's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    pub hash: ChangeHash,
    pub actor: ActorId,
    /// Who made it; `None` only for a change that did not come from Karte.
    pub author: Option<Author>,
    /// When, as the editing device's clock said.
    pub at: Timestamp,
    /// What was done, e.g. `visit.record`; `unknown` for a foreign change.
    pub operation: String,
}

impl ChangeInfo {
    pub(crate) fn new(
        hash: ChangeHash,
        actor: ActorId,
        message: Option<&str>,
        seconds: i64,
    ) -> ChangeInfo {
        match parse_message(message) {
            Some(m) => ChangeInfo {
                hash,
                actor,
                author: Some(m.author),
                at: m.at,
                operation: m.op,
            },
            None => ChangeInfo {
                hash,
                actor,
                author: None,
                at: Timestamp(seconds.saturating_mul(1000)),
                operation: "unknown".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_bound_to_their_device_and_differ_per_process() {
        let device = DeviceId::from("tablet-1");
        let a = actor_for(&device, [1; 16]);
        let b = actor_for(&device, [2; 16]);
        assert_ne!(a, b);
        assert_eq!(a.to_bytes()[..16], b.to_bytes()[..16]);
        assert!(actor_is_of_device(&a, &device));
        assert!(!actor_is_of_device(&a, &DeviceId::from("tablet-2")));
    }

    #[test]
    fn commit_messages_round_trip_and_foreign_ones_are_unknown() {
        let author = Author {
            user: "u1".into(),
            user_name: "佐藤".into(),
            device: "d1".into(),
        };
        let options = commit_options(
            "visit.record",
            &Edit {
                author: &author,
                at: Timestamp(1_500),
            },
        );
        let debug = format!("{options:?}");
        assert!(debug.contains("visit.record"), "{debug}");
        let info = ChangeInfo::new(
            ChangeHash([0; 32]),
            ActorId::from([0u8; 4]),
            Some("hello"),
            7,
        );
        assert_eq!(info.author, None);
        assert_eq!(info.at, Timestamp(7_000));
        assert_eq!(info.operation, "unknown");
    }
}
