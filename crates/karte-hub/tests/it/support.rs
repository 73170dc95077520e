//! The organisations, devices and changes tests fill a hub with, and a
//! reader that follows the feed to its end.

use std::time::Duration;

use karte_hub::{FeedEntry, HubStore, NewDevice, Org, OrgId, PushedDoc, StoredChange};
use karte_types::{DeviceId, PatientId, Timestamp};

pub const NOW: Timestamp = Timestamp(1_764_030_600_000);
pub const MINUTE: Duration = Duration::from_secs(60);

pub fn later(minutes: i64) -> Timestamp {
    Timestamp(NOW.0 + minutes * 60_000)
}

/// The master key every test hub seals its charts under.
pub fn master_key() -> karte_hub::MasterKeyFile {
    karte_hub::MasterKeyFile::from_bytes(zeroize::Zeroizing::new([0x5a; 32]))
}

/// The settings of a test store: charts sealed under [`master_key`].
pub fn sealed() -> karte_hub::StoreConfig {
    karte_hub::StoreConfig::sealed(master_key())
}

pub fn org_id(name: &str) -> OrgId {
    OrgId(format!("01ORG{name:0>21}"))
}

pub fn doc_id(name: &str) -> PatientId {
    PatientId(format!("01DOC{name:0>21}"))
}

/// Adds an organisation named `name`.
pub async fn add_org(store: &impl HubStore, name: &str) -> OrgId {
    let id = org_id(name);
    store
        .add_org(&Org {
            id: id.clone(),
            name: format!("訪問看護ステーション {name}"),
            recovery_public_key: vec![7; 32],
        })
        .await
        .unwrap();
    id
}

/// The made-up SHA-256 of an enrolment code.
pub fn code_hash(code: &str) -> [u8; 32] {
    let mut hash = [0u8; 32];
    for (i, byte) in code.bytes().enumerate() {
        hash[i % 32] ^= byte.rotate_left(i as u32 / 32);
    }
    hash[31] ^= code.len() as u8;
    hash
}

pub fn new_device(name: &str) -> NewDevice {
    let mut actor_prefix = [0u8; 16];
    actor_prefix[..name.len().min(16)].copy_from_slice(&name.as_bytes()[..name.len().min(16)]);
    NewDevice {
        id: DeviceId(format!("01DEV{name:0>21}")),
        public_key: vec![name.len() as u8; 32],
        actor_prefix,
    }
}

/// Enrols a device named `name` into `org` through a fresh code.
pub async fn enrol(store: &impl HubStore, org: &OrgId, name: &str) -> DeviceId {
    let hash = code_hash(&format!("code for {name}"));
    store.create_enrolment(org, hash, later(60)).await.unwrap();
    store
        .redeem_enrolment(hash, &new_device(name), NOW)
        .await
        .unwrap()
        .id
}

/// A change of `doc`, number `n`, with `extra` padding bytes; its hash is
/// unique to (doc, n).
pub fn change(doc: &PatientId, n: u32, extra: usize) -> StoredChange {
    let mut hash = [0u8; 32];
    let tag = format!("{}#{n}", &doc.as_str()[doc.as_str().len() - 8..]);
    hash[..tag.len()].copy_from_slice(tag.as_bytes());
    let mut bytes = format!("change {n} of {doc}").into_bytes();
    bytes.resize(bytes.len() + extra, b'.');
    StoredChange {
        hash,
        bytes,
        signature: vec![n as u8; 64],
        author: None,
    }
}

/// Changes `from..to` of `doc`.
pub fn changes(doc: &PatientId, from: u32, to: u32) -> PushedDoc {
    PushedDoc {
        doc: doc.clone(),
        changes: (from..to).map(|n| change(doc, n, 0)).collect(),
    }
}

/// Everything `org` may read after `after`, page by page: the entries, the
/// final cursor and how many pages it took. Checks on the way that cursors
/// only move forward and positions only rise.
pub async fn read_all(
    store: &impl HubStore,
    org: &OrgId,
    after: u64,
    max_bytes: usize,
) -> (Vec<FeedEntry>, u64, usize) {
    let (mut entries, mut cursor, mut pages) = (Vec::new(), after, 0);
    loop {
        let page = store.read_feed(org, cursor, max_bytes).await.unwrap();
        pages += 1;
        assert!(page.next_cursor >= cursor, "the cursor never moves back");
        for entry in &page.entries {
            assert!(entry.position() > cursor && entry.position() <= page.next_cursor);
            assert!(
                entries
                    .last()
                    .is_none_or(|last: &FeedEntry| last.position() < entry.position()),
                "positions rise"
            );
        }
        entries.extend(page.entries);
        cursor = page.next_cursor;
        if !page.more {
            return (entries, cursor, pages);
        }
    }
}

/// The hashes of the changes among `entries`.
pub fn hashes(entries: &[FeedEntry]) -> Vec<[u8; 32]> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            FeedEntry::Change(change) => Some(change.hash),
            _ => None,
        })
        .collect()
}
