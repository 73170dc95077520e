//! Keys, real Automerge changes and proptest strategies for every message.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ROOT};
use karte_record::actor_for;
use karte_sync::{
    AuditHeadReport, AuditRecordWire, AuditUpload, ChangeSignature, ChartDigest, DeviceKey,
    DocHeads, DocPush, DocUpdate, Payload, QuarantineReport, SignedChange, SignedRequest,
    SignerKey, SyncRequest, SyncResponse, WholeChart, WipeOrder,
};
use karte_types::{Date, DeviceId, PatientId, PatientSummary, Sex, Timestamp};
use proptest::prelude::*;
use ring::rand::SystemRandom;

/// A device as the hub knows it: its id and key.
pub struct Device {
    pub id: DeviceId,
    pub key: DeviceKey,
}

impl Device {
    pub fn new(id: &str) -> Device {
        let (key, _pkcs8) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        Device { id: id.into(), key }
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.public_key()
    }
}

/// The raw bytes of `count` changes to one document, written in sequence
/// by `device` (so each depends on the one before), each with `payload`.
pub fn changes_by(device: &DeviceId, count: usize, payload: &str) -> Vec<Vec<u8>> {
    let mut doc = AutoCommit::new().with_actor(actor_for(device, [7; 16]));
    for i in 0..count {
        doc.put(ROOT, format!("field-{i}"), payload).unwrap();
        doc.commit_with(
            CommitOptions::default()
                .with_message(format!("edit {i}"))
                .with_time(1_800_000_000),
        );
    }
    doc.get_changes(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// A realistic device id: a ULID.
pub const DEVICE_ULID: &str = "01JQ3Z8K4M2N6P8R0T2V4X6Z8B";

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn id() -> impl Strategy<Value = String> {
    "\\PC{0,30}"
}

fn summary() -> impl Strategy<Value = PatientSummary> {
    (patient(), id(), any::<i64>(), any::<u32>()).prop_map(|(id, name, at, open_reviews)| {
        PatientSummary {
            id,
            family: name.clone(),
            given: name.clone(),
            family_kana: name.clone(),
            given_kana: name,
            birth: Date::parse("birth", "1941-07-03").unwrap(),
            sex: Sex::Female,
            care_level: None,
            last_visit: Some(Timestamp(at)),
            open_reviews,
            orders: karte_types::OrderSummary {
                spans: vec![karte_types::OrderSpan {
                    id: karte_types::EntryId(format!("order-{open_reviews}")),
                    kind: karte_types::OrderKind::Instruction,
                    from: Date::parse("from", "2026-11-01").unwrap(),
                    to: None,
                    doctor: "田中一郎".into(),
                    institution: "みどり診療所".into(),
                    allows_second_special: open_reviews % 2 == 0,
                }],
                visits_outside: open_reviews % 3,
            },
            triage: None,
        }
    })
}

fn patient() -> impl Strategy<Value = PatientId> {
    id().prop_map(PatientId)
}

pub fn signed_change() -> impl Strategy<Value = SignedChange> {
    (bytes(64), any::<[u8; 32]>(), bytes(80)).prop_map(|(change, hash, signature)| SignedChange {
        change,
        hash,
        signature,
        author: None,
    })
}

pub fn sync_request() -> impl Strategy<Value = SyncRequest> {
    let tip = (any::<[u8; 32]>(), id(), bytes(80)).prop_map(|(hash, device, signature)| {
        ChangeSignature {
            hash,
            device: DeviceId(device),
            signature,
        }
    });
    let whole = (bytes(100), prop::collection::vec(tip, 0..3))
        .prop_map(|(saved, tips)| WholeChart { saved, tips });
    let push = (
        patient(),
        prop::collection::vec(signed_change(), 0..3),
        prop::option::of(whole),
    )
        .prop_map(|(doc, changes, whole)| DocPush {
            doc,
            changes,
            whole,
        });
    let audit = audit_head_report();
    let share = || (patient(), id());
    let quarantine =
        (patient(), id(), any::<i64>()).prop_map(|(doc, reason, since_ms)| QuarantineReport {
            doc,
            reason,
            since_ms,
        });
    (
        any::<u64>(),
        prop::option::of(patient()),
        any::<u32>(),
        prop::collection::vec(push, 0..3),
        prop::option::of(audit),
        prop::collection::vec(share(), 0..2),
        prop::collection::vec(share(), 0..2),
        prop::option::of(prop::collection::vec(quarantine, 0..3)),
        prop::option::of(audit_upload()),
        prop::option::of(any::<[u8; 16]>()),
    )
        .prop_map(
            |(
                cursor,
                resume_after,
                max_response_bytes,
                pushes,
                audit_head,
                shares,
                unshares,
                quarantined,
                audit,
                feed_id,
            )| {
                SyncRequest {
                    cursor,
                    resume_after,
                    max_response_bytes,
                    pushes,
                    audit_head,
                    shares,
                    unshares,
                    quarantined,
                    audit,
                    feed_id,
                    trust: None,
                }
            },
        )
}

fn audit_head_report() -> impl Strategy<Value = AuditHeadReport> {
    (any::<u64>(), any::<[u8; 32]>()).prop_map(|(seq, hash)| AuditHeadReport { seq, hash })
}

fn device_lock() -> impl Strategy<Value = karte_sync::DeviceLock> {
    use karte_sync::unlock_code::{UnlockCodeCheck, UnlockCodeCost};
    let check = (any::<u32>(), any::<[u8; 16]>(), any::<[u8; 32]>())
        .prop_map(|(number, salt, hash)| UnlockCodeCheck { number, salt, hash });
    (
        any::<u32>(),
        (any::<u32>(), any::<u32>(), any::<u32>()),
        prop::collection::vec(check, 0..3),
    )
        .prop_map(
            |(lock_after_days, (memory_kib, iterations, parallelism), codes)| {
                karte_sync::DeviceLock {
                    lock_after_days,
                    cost: UnlockCodeCost {
                        memory_kib,
                        iterations,
                        parallelism,
                    },
                    codes,
                }
            },
        )
}

fn audit_upload() -> impl Strategy<Value = AuditUpload> {
    let record = (any::<u64>(), any::<[u8; 32]>(), bytes(60))
        .prop_map(|(seq, hash, body)| AuditRecordWire { seq, hash, body });
    (
        audit_head_report(),
        prop::collection::vec(record, 0..3),
        bytes(64),
    )
        .prop_map(|(after, entries, signature)| AuditUpload {
            after,
            entries,
            signature,
        })
}

pub fn signed_request() -> impl Strategy<Value = SignedRequest> {
    (id(), any::<i64>(), any::<[u8; 16]>(), bytes(200), bytes(80)).prop_map(
        |(device, sent_at_ms, nonce, body, signature)| SignedRequest {
            device: DeviceId(device),
            sent_at_ms,
            nonce,
            body,
            signature,
        },
    )
}

pub fn sync_response() -> impl Strategy<Value = SyncResponse> {
    let heads = (patient(), prop::collection::vec(any::<[u8; 32]>(), 0..3))
        .prop_map(|(doc, heads)| DocHeads { doc, heads });
    let payload = prop_oneof![
        bytes(100).prop_map(Payload::Snapshot),
        prop::collection::vec(bytes(40), 0..4).prop_map(Payload::Changes),
    ];
    let signature = (any::<[u8; 32]>(), id(), bytes(80)).prop_map(|(hash, device, signature)| {
        ChangeSignature {
            hash,
            device: DeviceId(device),
            signature,
        }
    });
    let digest = (prop::collection::vec(any::<[u8; 32]>(), 0..3), summary())
        .prop_map(|(heads, summary)| ChartDigest { heads, summary });
    let update = (
        patient(),
        payload,
        prop::collection::vec(signature, 0..3),
        prop::option::of(digest),
    )
        .prop_map(|(doc, payload, signatures, digest)| DocUpdate {
            doc,
            payload,
            signatures,
            digest,
        });
    let wipe = prop::option::of(prop_oneof![Just(WipeOrder::Lost), Just(WipeOrder::Retired)]);
    let signer = (id(), any::<[u8; 32]>()).prop_map(|(device, public_key)| SignerKey {
        device: DeviceId(device),
        public_key,
    });
    (
        (any::<u64>(), prop::option::of(patient()), any::<bool>()),
        prop::collection::vec(heads, 0..3),
        prop::collection::vec(update, 0..3),
        prop::collection::vec(patient(), 0..3),
        wipe,
        prop::collection::vec(signer, 0..2),
        prop::collection::vec((patient(), id()), 0..2),
        prop::option::of(audit_head_report()),
        prop::option::of(device_lock()),
    )
        .prop_map(
            |(
                (cursor, resume_after, more),
                acked,
                updates,
                removed,
                wipe,
                signers,
                pending,
                audit_held,
                device_lock,
            )| {
                SyncResponse {
                    cursor,
                    resume_after,
                    more,
                    acked,
                    updates,
                    removed,
                    wipe,
                    signers,
                    shares_pending: pending,
                    audit_held,
                    device_lock,
                    feed_id: None,
                    trust: None,
                }
            },
        )
}
