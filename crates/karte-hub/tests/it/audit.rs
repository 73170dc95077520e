//! The audit logs devices hand in at sync (issue 11, item 10): kept
//! append-only per device and sealed at rest, taken only when they extend
//! the chain the hub holds, idempotent when sent again.
//!
//! The entries are made by a real vault whose device id is the test
//! device's, so they are the bytes and hashes a device sends.

use karte_hub::HubStore;
use karte_store::{AuditAction, AuditEvent, AuditRecord, KdfParams, Vault};
use karte_sync::wire::{AuditRecordWire, AuditUpload};
use karte_sync::{AuditHeadReport, SyncRequest, sign_audit_head};
use karte_types::{DeviceId, PatientId, Timestamp, UserId};

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::support::later;

/// A vault of the test device's id, kept with its folder.
struct DeviceVault {
    _dir: tempfile::TempDir,
    vault: Vault,
}

impl DeviceVault {
    fn new(device: &DeviceId) -> DeviceVault {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("v.karte"),
            "sato",
            karte_test_support::PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            UserId::from("U1"),
            device.clone(),
            later(0),
        )
        .unwrap();
        DeviceVault { _dir: dir, vault }
    }

    /// Records `count` chart openings, each naming `detail`.
    fn open_charts(&mut self, count: usize, detail: &str) {
        for i in 0..count {
            self.vault
                .record_audit(AuditEvent {
                    at: later(i as i64),
                    action: AuditAction::ChartOpen,
                    patient: Some(PatientId::from("01DOC000000000000000000001")),
                    detail: format!("{detail} {i}"),
                })
                .unwrap();
        }
    }

    /// The entries after `after`, as a device sends them.
    fn upload(&self, device: &TestDevice, after: u64) -> AuditUpload {
        let records = self.vault.audit_records_after(after, 1_000).unwrap();
        let after = match after {
            0 => AuditHeadReport {
                seq: 0,
                hash: [0; 32],
            },
            seq => {
                let before = self.vault.audit_records_after(seq - 1, 1).unwrap();
                AuditHeadReport {
                    seq,
                    hash: before[0].hash,
                }
            }
        };
        signed(device, after, records)
    }

    fn head(&self) -> AuditHeadReport {
        let head = self.vault.audit_head();
        AuditHeadReport {
            seq: head.seq,
            hash: head.hash,
        }
    }
}

fn signed(device: &TestDevice, after: AuditHeadReport, records: Vec<AuditRecord>) -> AuditUpload {
    let last = records.last().unwrap();
    let signature = sign_audit_head(&device.key, &device.id, last.seq, &last.hash);
    AuditUpload {
        after,
        entries: records
            .into_iter()
            .map(|record| AuditRecordWire {
                seq: record.seq,
                hash: record.hash,
                body: record.body,
            })
            .collect(),
        signature,
    }
}

/// A sync request of `device` with its audit head and `upload`.
fn request(device: &TestDevice, head: AuditHeadReport, upload: Option<AuditUpload>) -> SyncRequest {
    SyncRequest {
        audit_head: Some(head),
        audit: upload,
        ..device.request(Vec::new())
    }
}

async fn held<B: Backend>(hub: &TestHub<B>, device: &TestDevice) -> Vec<u64> {
    let entries = hub.store.device_audit(&device.id).await.unwrap();
    entries.iter().map(|held| held.record.seq).collect()
}

pub async fn a_devices_audit_log_arrives_and_sending_it_again_stores_nothing<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("A").await;
    let mut device = hub.enrol(&org.id, "tablet").await;
    let mut vault = DeviceVault::new(&device.id);
    vault.open_charts(3, "opened");

    let upload = vault.upload(&device, 0);
    let sent = request(&device, vault.head(), Some(upload.clone()));
    let envelope = device.envelope(&sent, hub.now());
    let response = hub.post_sync(envelope).await.response();
    assert_eq!(response.audit_held, Some(vault.head()));
    let entries = hub.store.device_audit(&device.id).await.unwrap();
    assert_eq!(entries.len(), 3);
    let first = entries[0].record.entry().unwrap();
    assert_eq!(first.device, device.id);
    assert_eq!(first.user_name, "sato");
    assert_eq!(first.event.detail, "opened 0");
    assert_eq!(entries[2].record.hash, vault.head().hash);
    // The device's signature is kept on the last entry of the upload.
    assert!(entries[2].signature.is_some() && entries[1].signature.is_none());

    // Sent again (an answer lost on the way): taken, nothing stored twice.
    let envelope = device.envelope(&sent, hub.now());
    let response = hub.post_sync(envelope).await.response();
    assert_eq!(response.audit_held, Some(vault.head()));
    assert_eq!(held(&hub, &device).await, [1, 2, 3]);

    // Entries the hub holds and new ones in one upload: the new are added.
    vault.open_charts(2, "later");
    let overlapping = vault.upload(&device, 1);
    assert_eq!(overlapping.entries.len(), 4);
    let sent = request(&device, vault.head(), Some(overlapping));
    let envelope = device.envelope(&sent, hub.now());
    let response = hub.post_sync(envelope).await.response();
    assert_eq!(response.audit_held, Some(vault.head()));
    assert_eq!(held(&hub, &device).await, [1, 2, 3, 4, 5]);
}

pub async fn a_chain_that_does_not_extend_the_held_one_is_refused_and_nothing_stored<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("A").await;
    let mut device = hub.enrol(&org.id, "tablet").await;
    let mut vault = DeviceVault::new(&device.id);
    vault.open_charts(3, "opened");
    let sent = request(&device, vault.head(), Some(vault.upload(&device, 0)));
    let envelope = device.envelope(&sent, hub.now());
    hub.post_sync(envelope).await.response();

    // Another log under the same device: it forks from the held one at 1.
    let mut other = DeviceVault::new(&device.id);
    other.open_charts(4, "rewritten");
    let doc = device.create_chart("forked");
    let pushes = device.pushes();
    let forked = SyncRequest {
        pushes,
        ..request(&device, other.head(), Some(other.upload(&device, 0)))
    };
    let envelope = device.envelope(&forked, hub.now());
    assert_eq!(
        hub.post_sync(envelope).await.refusal(),
        (409, "audit_chain_broken".to_owned())
    );
    assert_eq!(held(&hub, &device).await, [1, 2, 3]);
    assert!(
        hub.store.doc(&doc).await.unwrap().is_none(),
        "the push of a refused request is not stored"
    );

    // Entries that skip what the hub holds: after 4, the hub has 3.
    vault.open_charts(2, "more");
    let skipping = request(&device, vault.head(), Some(vault.upload(&device, 4)));
    let envelope = device.envelope(&skipping, hub.now());
    assert_eq!(
        hub.post_sync(envelope).await.refusal(),
        (409, "audit_chain_broken".to_owned())
    );

    // An entry changed on the way no longer hashes to its chain.
    let mut forged = vault.upload(&device, 3);
    let body = String::from_utf8(forged.entries[0].body.clone()).unwrap();
    forged.entries[0].body = body.replace("more 0", "none 0").into_bytes();
    let envelope = device.envelope(&request(&device, vault.head(), Some(forged)), hub.now());
    assert_eq!(
        hub.post_sync(envelope).await.refusal(),
        (409, "audit_chain_broken".to_owned())
    );

    // Entries another device signed for this one.
    let stranger = TestDevice::new("stranger");
    let mut unsigned = vault.upload(&device, 3);
    unsigned.signature = vault.upload(&stranger, 3).signature;
    let envelope = device.envelope(&request(&device, vault.head(), Some(unsigned)), hub.now());
    assert_eq!(
        hub.post_sync(envelope).await.refusal(),
        (401, "bad_signature".to_owned())
    );
    assert_eq!(held(&hub, &device).await, [1, 2, 3]);

    // The true continuation is still taken.
    let next = request(&device, vault.head(), Some(vault.upload(&device, 3)));
    let envelope = device.envelope(&next, hub.now());
    hub.post_sync(envelope).await.response();
    assert_eq!(held(&hub, &device).await, [1, 2, 3, 4, 5]);
}

pub async fn a_device_whose_audit_tail_was_removed_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("A").await;
    let mut device = hub.enrol(&org.id, "tablet").await;
    let mut vault = DeviceVault::new(&device.id);
    vault.open_charts(2, "opened");
    let shorter = vault.head();
    vault.open_charts(2, "then");
    let sent = request(&device, vault.head(), Some(vault.upload(&device, 0)));
    let envelope = device.envelope(&sent, hub.now());
    hub.post_sync(envelope).await.response();

    // The vault's log now ends two entries earlier: its tail was removed
    // (with the head in its header, by someone holding its key).
    let envelope = device.envelope(&request(&device, shorter, None), hub.now());
    let refused = hub.post_sync(envelope).await;
    assert_eq!(refused.refusal(), (409, "audit_chain_broken".to_owned()));
    assert!(refused.text().contains("entry 2"), "{}", refused.text());
    // The log as it was is still there, and so is the device's own word.
    assert_eq!(held(&hub, &device).await, [1, 2, 3, 4]);
    let envelope = device.envelope(&request(&device, vault.head(), None), hub.now());
    hub.post_sync(envelope).await.response();
}

pub async fn a_held_audit_log_shows_no_patient_at_rest<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("A").await;
    let mut device = hub.enrol(&org.id, "tablet").await;
    let mut vault = DeviceVault::new(&device.id);
    let name = "監査花子";
    vault.open_charts(2, name);
    let sent = request(&device, vault.head(), Some(vault.upload(&device, 0)));
    let envelope = device.envelope(&sent, hub.now());
    hub.post_sync(envelope).await.response();
    let entries = hub.store.device_audit(&device.id).await.unwrap();
    assert_eq!(
        entries[1].record.entry().unwrap().event.detail,
        format!("{name} 1")
    );
    let dump = hub.dump().await;
    let needle = name.as_bytes();
    assert!(
        !dump.windows(needle.len()).any(|w| w == needle),
        "the audit detail is in the database in clear"
    );
    // Times are milliseconds since 1970 by the hub's clock.
    assert!(entries[0].received_at >= Timestamp(0));
}
