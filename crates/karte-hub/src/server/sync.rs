//! `POST /v1/sync`: one round of sync for one device. The body is a request
//! envelope; the answer is a response envelope, or a JSON problem.
//!
//! The order of the checks matters: the envelope is read under limits
//! before anything else, the signature is checked against the enrolled key
//! before the request is believed, and freshness is checked before anything
//! is done. A lost device is told to wipe and nothing it sent is kept; a
//! retired one may hand in what it has not synced, then is told to wipe.
//! The charts a device reports in quarantine replace its last list.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use karte_sync::{
    AuthError, QuarantineReport, SyncRequest, SyncResponse, WipeOrder, decode_request_within,
    encode_response, verify_request,
};
use karte_types::{PatientId, Timestamp};

use crate::server::problem::Problem;
use crate::server::{push, share, updates, whole};
use crate::{AuditHead, DeviceStatus, Hub, HubStore};

/// How finely the hub notes when it last heard from a device.
const CONTACT_RESOLUTION_MS: i64 = 60_000;

pub(super) async fn handle<S: HubStore>(
    State(hub): State<Hub<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match sync(&hub, body).await {
        Ok(bytes) => ([(CONTENT_TYPE, "application/octet-stream")], bytes).into_response(),
        Err(problem) => {
            if problem.status.is_client_error() {
                tracing::warn!(code = problem.code, "sync refused: {}", problem.message);
            }
            problem.into_response()
        }
    }
}

async fn sync<S: HubStore>(
    hub: &Hub<S>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<u8>, Problem> {
    let body = body.map_err(Problem::from_body)?;
    let signed = decode_request_within(&body, &hub.config().limits)?;
    drop(body);
    let Some(device) = hub.store().device(&signed.device).await? else {
        return Err(Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unknown_device",
            format!(
                "device {} is not enrolled at this hub: enrol it with a new enrolment code",
                signed.device.as_str().chars().take(80).collect::<String>()
            ),
        ));
    };
    let public_key: [u8; 32] = device.public_key.as_slice().try_into().map_err(|_| {
        Problem::internal(
            "corrupt",
            format!("device {} has a public key of the wrong length", device.id),
        )
    })?;
    let request = verify_request(&signed, &public_key)?;
    let now = hub.now();
    hub.config().replay.check(now.0, signed.sent_at_ms, false)?;
    let fresh = hub
        .store()
        .check_and_record_nonce(&device.id, signed.nonce, now, hub.config().nonce_memory())
        .await?;
    if !fresh {
        return Err(AuthError::Replayed.into());
    }
    if device.status == DeviceStatus::RevokedLost {
        tracing::warn!(device = %device.id, "a device reported lost made contact; told to wipe");
        return Ok(encode_response(&SyncResponse {
            cursor: request.cursor,
            resume_after: request.resume_after,
            more: false,
            acked: Vec::new(),
            updates: Vec::new(),
            removed: Vec::new(),
            wipe: Some(WipeOrder::Lost),
            signers: Vec::new(),
        }));
    }
    let SyncRequest {
        cursor,
        resume_after,
        max_response_bytes,
        pushes,
        audit_head,
        shares,
        quarantined,
    } = request;
    if let Some(after) = &resume_after {
        // Checked before anything is stored: a refused request stores nothing.
        check_resume(hub, cursor, after).await?;
    }
    let quarantined = quarantined.map(check_quarantined).transpose()?;
    let shares = if shares.is_empty() {
        Vec::new()
    } else {
        let pushed: Vec<_> = pushes.iter().map(|p| p.doc.clone()).collect();
        share::check(hub, &device, shares, &pushed).await?
    };
    let received = if pushes.is_empty() {
        push::Received::default()
    } else {
        push::receive(hub, &device, public_key, pushes, cursor, now).await?
    };
    share::apply(hub, &device, shares, now).await?;
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
        SyncResponse {
            cursor: gathered.cursor,
            resume_after: gathered.resume_after,
            more: gathered.more,
            acked: received.acked,
            updates: gathered.updates,
            removed: gathered.removed,
            wipe: None,
            signers: gathered.signers,
        }
    };
    let audit_head = audit_head.map(|head| AuditHead {
        seq: head.seq,
        hash: head.hash,
    });
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
    Ok(encode_response(&response))
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
