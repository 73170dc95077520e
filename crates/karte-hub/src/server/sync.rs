//! `POST /v1/sync`: one round of sync for one device. The body is a request
//! envelope; the answer is a response envelope, or a JSON problem.
//!
//! The order of the checks matters. Only the envelope's header is read
//! before the device is known and its signature checked (over the length
//! and hash of the compressed body, see [`super::envelope`]); the body is
//! read only after, up to the length signed, and inflated and parsed only
//! once it is the body signed. Freshness is checked before anything is
//! done. A lost device is told to wipe and nothing it sent is read; a
//! retired one may hand in its own work in one last sync, sharing nothing,
//! and is told to wipe; every later request of it is refused
//! (`device_revoked`).
//! The charts a device reports in quarantine replace its last list. The
//! audit entries it hands in are checked against the log the hub holds
//! for it before anything is stored, and appended after the rest.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use karte_sync::unlock_code::{UnlockCodeCheck, UnlockCodeCost, hash_unlock_code, new_unlock_code};
use karte_sync::{
    AuditHeadReport, AuditUpload, DeviceLock, QuarantineReport, SyncRequest, SyncResponse,
    WipeOrder, encode_response_as, inflate_request_body_of, verify_audit_head,
};
use karte_types::{DeviceId, PatientId, Timestamp};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::time::Instant;

use crate::server::blocking::run_blocking;
use crate::server::envelope::{Incoming, answer_signed, record_nonce, signed_body, signed_header};
use crate::server::problem::Problem;
use crate::server::{push, share, updates, whole};
use crate::{
    AuditHead, AuditUploadIn, Device, DeviceStatus, Hub, HubStore, HubStoreError, NewUnlockCode,
};

/// How finely the hub notes when it last heard from a device.
const CONTACT_RESOLUTION_MS: i64 = 60_000;

pub(super) async fn handle<S: HubStore>(
    State(hub): State<Hub<S>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answer_signed(&hub, "sync", body, async |incoming, started, signer| {
        sync(&hub, &headers, incoming, started, signer).await
    })
    .await
}

async fn sync<S: HubStore>(
    hub: &Hub<S>,
    headers: &HeaderMap,
    incoming: &mut Incoming,
    started: Instant,
    signer: &mut Option<DeviceId>,
) -> Result<Vec<u8>, Problem> {
    let config = hub.config();
    Incoming::check_declared(headers, &config.limits)?;
    let (header, version, device, now) = signed_header(hub, incoming, started, signer).await?;
    let public_key = device.public_key_array()?;
    hub.guard().check_device(&device.id)?;
    let nonce = header.nonce;
    let body = if device.status == DeviceStatus::RevokedLost {
        // Nothing a lost device sends is read.
        None
    } else {
        Some(
            signed_body(
                hub,
                incoming,
                header,
                config.limits.max_compressed_bytes,
                "a sync request",
                started,
            )
            .await?,
        )
    };
    record_nonce(hub, &device.id, nonce, now).await?;
    let Some(signed) = body else {
        tracing::warn!(device = %device.id, "a device reported lost made contact; told to wipe");
        return Ok(encode_response_as(
            version,
            &SyncResponse {
                cursor: 0,
                resume_after: None,
                more: false,
                acked: Vec::new(),
                updates: Vec::new(),
                removed: Vec::new(),
                wipe: Some(WipeOrder::Lost),
                signers: Vec::new(),
                shares_pending: Vec::new(),
                audit_held: None,
                device_lock: None,
                feed_id: None,
                trust: None,
            },
        ));
    };
    // The body is the one the device signed: only now is it inflated.
    let request = inflate_request_body_of(version, &signed.body, &config.limits)?;
    drop(signed);
    let SyncRequest {
        cursor,
        resume_after,
        max_response_bytes,
        pushes,
        audit_head,
        shares,
        unshares,
        quarantined,
        audit,
        feed_id: known_feed,
        trust: trust_state,
    } = request;
    let feed_id = hub.store().feed_identity().await?;
    if known_feed.is_some_and(|known| known != feed_id) {
        // Checked before anything is stored: the device's cursor and what
        // it believes this hub holds are of a feed that is gone.
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "feed_changed",
            "this hub was restored from a backup since the device last synced: the device starts over from the hub's feed and gives back what the hub lacks; nothing of this request was stored",
        ));
    }
    if device.status == DeviceStatus::Revoked {
        retired_may_hand_in(&device, &shares, &unshares, now)?;
    }
    if let Some(after) = &resume_after {
        // Checked before anything is stored: a refused request stores nothing.
        check_resume(hub, cursor, after).await?;
    }
    let quarantined = quarantined.map(check_quarantined).transpose()?;
    let audit_head = audit_head.map(|head| AuditHead {
        seq: head.seq,
        hash: head.hash,
    });
    let audit = audit
        .map(|upload| check_audit_upload(&device, &public_key, upload))
        .transpose()?
        .flatten();
    if audit.is_some() || audit_head.is_some_and(|head| Some(head) != device.audit_head) {
        // Checked before anything is stored: a chain that does not extend
        // the one held refuses the whole request.
        hub.store()
            .check_audit(&device.id, audit.as_ref(), audit_head)
            .await?;
    }
    let circle_changes = if shares.is_empty() && unshares.is_empty() {
        share::CircleChanges::default()
    } else {
        let pushed: Vec<_> = pushes.iter().map(|p| p.doc.clone()).collect();
        share::check(hub, &device, shares, unshares, &pushed).await?
    };
    let received = if pushes.is_empty() {
        push::Received::default()
    } else {
        push::receive(hub, &device, public_key, pushes, now).await?
    };
    if device.status == DeviceStatus::Revoked
        && !received.stored_push
        && device.handed_in_at.is_none()
    {
        // The final contact of a retired device with nothing to store.
        hub.store().hand_in(&device.id, now).await?;
    }
    let shares_pending = share::apply(hub, &device, circle_changes, now).await?;
    if let Some(charts) = quarantined {
        if !charts.is_empty() {
            // The ids and codes were checked; the administrator finds the
            // rest with `karte-hub chart quarantined`.
            tracing::warn!(
                device = %device.id,
                org = %device.org,
                charts = charts.len(),
                "a device keeps charts in quarantine: it received them but could not apply them"
            );
        }
        hub.store()
            .record_quarantine(&device.id, charts, now)
            .await?;
    }
    let audit_held = match audit {
        Some(upload) => {
            let held = hub
                .store()
                .store_audit(&device.id, upload, audit_head, now)
                .await?;
            Some(AuditHeadReport {
                seq: held.seq,
                hash: held.hash,
            })
        }
        None => None,
    };
    let device_lock = if device.status == DeviceStatus::Active {
        device_lock(hub, &device).await?
    } else {
        None
    };
    let trust = match trust_state {
        Some(state) if device.status == DeviceStatus::Active => {
            trust_update(hub, &device, state, now).await
        }
        _ => None,
    };
    let response = if device.status == DeviceStatus::Revoked {
        // A retired device is about to wipe: it is sent nothing more.
        SyncResponse {
            cursor,
            resume_after,
            more: false,
            acked: received.acked,
            updates: Vec::new(),
            removed: Vec::new(),
            wipe: Some(WipeOrder::Retired),
            signers: Vec::new(),
            shares_pending,
            audit_held,
            device_lock,
            feed_id: Some(feed_id),
            trust: None,
        }
    } else {
        let budget = max_response_bytes.min(hub.config().max_page_bytes) as usize;
        let gathered = match (cursor, resume_after) {
            (0, None) => whole::page(hub, &device, None, None, budget).await?,
            (head, Some(after)) => {
                whole::page(hub, &device, Some(head), Some(&after), budget).await?
            }
            (cursor, None) => {
                updates::gather(hub, &device.org, cursor, budget, &received.hashes).await?
            }
        };
        if gathered.cursor > device.served_up_to {
            // Before the answer leaves: from now on the device counts as
            // told of everything up to here.
            hub.store().note_served(&device.id, gathered.cursor).await?;
        }
        SyncResponse {
            cursor: gathered.cursor,
            resume_after: gathered.resume_after,
            more: gathered.more,
            acked: received.acked,
            updates: gathered.updates,
            removed: gathered.removed,
            wipe: None,
            signers: gathered.signers,
            shares_pending,
            audit_held,
            device_lock,
            feed_id: Some(feed_id),
            trust,
        }
    };
    // Noting the contact is a write; a device syncing often with nothing
    // new to report is noted once a minute, which is all `device list`
    // shows anyway.
    let heard_lately = device
        .last_seen
        .is_some_and(|seen| (0..CONTACT_RESOLUTION_MS).contains(&(now.0 - seen.0)));
    let new_audit_head = audit_head.is_some_and(|head| Some(head) != device.audit_head);
    if new_audit_head || !heard_lately {
        hub.store()
            .record_contact(&device.id, now, audit_head)
            .await?;
    }
    Ok(encode_response_as(version, &response))
}

/// A retired device may push its own work in one final sync, page by page
/// within [`crate::rules::HAND_IN_WINDOW_MS`] of its first contact since it
/// was retired, but share nothing, and nothing at all after that.
fn retired_may_hand_in(
    device: &Device,
    shares: &[(PatientId, String)],
    unshares: &[(PatientId, String)],
    now: Timestamp,
) -> Result<(), Problem> {
    if crate::rules::hand_in_closed(device.handed_in_at, now) {
        return Err(HubStoreError::DeviceRevoked(device.id.clone()).into());
    }
    if !shares.is_empty() || !unshares.is_empty() {
        return Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "device_revoked",
            format!(
                "device {} was retired: it may hand in its own unsynced work once, but not share or unshare charts; sync again without them, then wipe it",
                device.id
            ),
        ));
    }
    Ok(())
}

/// How many unlock codes not yet given to an administrator a device
/// holds; when fewer than half are left, its next sync makes more.
const UNLOCK_CODES: usize = 5;
/// The most unlock codes a device is sent: the newest, which hold every
/// code not yet given out and the last ones given.
const MAX_UNLOCK_CODES_SENT: usize = 16;

/// The organisation's lock for lost devices as `device` is told it, with
/// the salts and hashes of its unlock codes, made first if it has too few.
async fn device_lock<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
) -> Result<Option<DeviceLock>, Problem> {
    let Some(lock_after_days) = hub.store().lock_policy(&device.org).await? else {
        return Ok(None);
    };
    let cost = hub.config().unlock_code_cost;
    let mut codes = hub.store().unlock_codes(&device.id).await?;
    let left = codes.iter().filter(|code| code.issued_at.is_none()).count();
    if left * 2 < UNLOCK_CODES {
        // Argon2id at its cost takes tens of milliseconds a code.
        let new = run_blocking(move || make_unlock_codes(UNLOCK_CODES - left, &cost)).await?;
        hub.store()
            .add_unlock_codes(&device.id, new, hub.now())
            .await?;
        codes = hub.store().unlock_codes(&device.id).await?;
    }
    let newest = &codes[codes.len().saturating_sub(MAX_UNLOCK_CODES_SENT)..];
    Ok(Some(DeviceLock {
        lock_after_days,
        cost,
        codes: newest
            .iter()
            .map(|code| UnlockCodeCheck {
                number: code.number,
                salt: code.salt,
                hash: code.hash,
            })
            .collect(),
    }))
}

/// `count` new random unlock codes with their salts and slow hashes.
fn make_unlock_codes(count: usize, cost: &UnlockCodeCost) -> Result<Vec<NewUnlockCode>, Problem> {
    let random = SystemRandom::new();
    let no_randomness = || {
        Problem::internal(
            "no_randomness",
            "the random source failed making unlock codes",
        )
    };
    (0..count)
        .map(|_| {
            let code = new_unlock_code(&random).ok_or_else(no_randomness)?;
            let mut salt = [0u8; 16];
            random.fill(&mut salt).map_err(|_| no_randomness())?;
            let hash = hash_unlock_code(&code, &salt, cost).ok_or_else(|| {
                Problem::internal(
                    "unlock_code_cost",
                    "the configured cost of unlock codes is not one Argon2id takes",
                )
            })?;
            Ok(NewUnlockCode { code, salt, hash })
        })
        .collect()
}

/// The most audit entries a request may carry.
const MAX_AUDIT_ENTRIES: usize = 10_000;

/// The audit entries of a request, their device's signature over the last
/// checked; `None` for an upload of no entry.
fn check_audit_upload(
    device: &Device,
    public_key: &[u8; 32],
    upload: AuditUpload,
) -> Result<Option<AuditUploadIn>, Problem> {
    if upload.entries.len() > MAX_AUDIT_ENTRIES {
        return Err(Problem::malformed(format!(
            "{} audit entries in one request, at most {MAX_AUDIT_ENTRIES}",
            upload.entries.len()
        )));
    }
    let Some(last) = upload.entries.last() else {
        return Ok(None);
    };
    verify_audit_head(
        &device.id,
        last.seq,
        &last.hash,
        &upload.signature,
        public_key,
    )?;
    Ok(Some(AuditUploadIn {
        after: AuditHead {
            seq: upload.after.seq,
            hash: upload.after.hash,
        },
        entries: upload
            .entries
            .into_iter()
            .map(|entry| karte_store::AuditRecord {
                seq: entry.seq,
                hash: entry.hash,
                body: entry.body,
            })
            .collect(),
        signature: upload.signature,
    }))
}

/// The most charts a device may report in quarantine at once.
const MAX_QUARANTINED: usize = 10_000;

/// A device's quarantine list, checked: chart ids, and reasons that are
/// error codes (a few lowercase letters and `_`), so what the hub keeps
/// and logs is no free text from the device.
fn check_quarantined(
    reports: Vec<QuarantineReport>,
) -> Result<Vec<(PatientId, String, Timestamp)>, Problem> {
    if reports.len() > MAX_QUARANTINED {
        return Err(Problem::malformed(format!(
            "{} charts reported in quarantine, at most {MAX_QUARANTINED}",
            reports.len()
        )));
    }
    reports
        .into_iter()
        .map(|report| {
            push::check_doc_id(&report.doc)?;
            let code = !report.reason.is_empty()
                && report.reason.len() <= 64
                && report
                    .reason
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_');
            if !code {
                return Err(Problem::malformed(
                    "a quarantine reason is not an error code (1 to 64 of a-z and '_')",
                ));
            }
            Ok((report.doc, report.reason, Timestamp(report.since_ms)))
        })
        .collect()
}

/// A first sync under way is as of a head the hub gave, which is neither 0
/// nor beyond the feed, and goes on after a chart id.
async fn check_resume<S: HubStore>(
    hub: &Hub<S>,
    head: u64,
    after: &PatientId,
) -> Result<(), Problem> {
    push::check_doc_id(after)?;
    if head == 0 || head > hub.store().feed_head().await? {
        return Err(Problem::malformed(format!(
            "the first sync's position {head} is not one this hub's feed gave: was the device enrolled at another hub?"
        )));
    }
    Ok(())
}

/// What the device lacks of its organisation's trust: the newer revocation
/// list, a renewed cert when it has none or less than 30 days of it are
/// left, and its peers' certs newer than the ones it holds; `None` when it lacks nothing, or when this hub cannot sign
/// (no master key), which must not fail a sync.
async fn trust_update<S: HubStore>(
    hub: &Hub<S>,
    device: &crate::Device,
    state: karte_sync::wire::TrustState,
    now: Timestamp,
) -> Option<karte_sync::wire::TrustUpdate> {
    let signed = async {
        let (org_signing_key, list) = hub.store().org_trust(&device.org, now).await?;
        let list = list
            .open()
            .is_ok_and(|open| open.sequence > state.list_sequence)
            .then_some(list);
        let renew = state.cert_not_after_ms.is_none_or(|not_after| {
            not_after.saturating_sub(now.0) < karte_sync::trust::CERT_RENEW_BEFORE_MS
        });
        let cert = if renew {
            Some(
                hub.store()
                    .issue_cert(&device.id, state.bundle_key, now)
                    .await?,
            )
        } else {
            None
        };
        let mut member_certs = hub
            .store()
            .member_certs(&device.org, state.peers_up_to_serial)
            .await?;
        member_certs.retain(|member| member.open().is_ok_and(|c| c.device != device.id));
        Ok::<_, crate::HubStoreError>((org_signing_key, cert, list, member_certs))
    };
    match signed.await {
        Ok((_, None, None, member_certs)) if member_certs.is_empty() => None,
        Ok((org_signing_key, cert, list, member_certs)) => Some(karte_sync::wire::TrustUpdate {
            org_signing_key,
            cert,
            list,
            member_certs,
        }),
        Err(error) => {
            tracing::warn!(device = %device.id, %error, "no trust update: the hub cannot sign");
            None
        }
    }
}
