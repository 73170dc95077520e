//! `POST /v1/enroll`: a device redeems a one-time code with its public key
//! and learns its organisation and the organisation's recovery key; and
//! `GET /v1/health` for load balancers and monitoring.
//!
//! Request and answer are the JSON of `karte_sync::enrolment`, the types
//! the device uses too; the hub reads the public key as 64 hex digits or
//! base64 (standard or URL-safe, padded or not) and answers the recovery
//! key in hex.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use karte_sync::{EnrolmentGrantJson, EnrolmentRequestJson};
use karte_types::DeviceId;
use serde::Serialize;

use crate::server::problem::Problem;
use crate::{Hub, HubStore, NewDevice};
use karte_sync::enrolment_code::enrolment_code_hash;

/// The longest device id the hub accepts (a ULID has 26 characters).
const MAX_DEVICE_ID_LEN: usize = 64;

pub(super) async fn handle<S: HubStore>(
    State(hub): State<Hub<S>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match enrol(&hub, body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(problem) => {
            problem.log_refusal("enrolment", None);
            problem.into_response()
        }
    }
}

async fn enrol<S: HubStore>(
    hub: &Hub<S>,
    body: Result<Bytes, BytesRejection>,
) -> Result<EnrolmentGrantJson, Problem> {
    let body = body.map_err(|e| Problem::from_body(e, super::MAX_ENROL_BODY))?;
    let request: EnrolmentRequestJson = serde_json::from_slice(&body).map_err(|e| {
        Problem::malformed(format!(
            "the enrolment request is not the expected JSON ({e}): send code, device_id and public_key"
        ))
    })?;
    check_device_id(&request.device_id)?;
    let public_key = parse_public_key(&request.public_key)?;
    let id = DeviceId(request.device_id.clone());
    let actor = karte_record::actor_for(&id, [0; 16]);
    let mut actor_prefix = [0u8; 16];
    actor_prefix.copy_from_slice(karte_record::device_prefix(&actor));
    let device = hub
        .store()
        .redeem_enrolment(
            enrolment_code_hash(&request.code),
            &NewDevice {
                id,
                public_key: public_key.to_vec(),
                actor_prefix,
            },
            hub.now(),
        )
        .await?;
    let org = hub.store().org(&device.org).await?.ok_or_else(|| {
        Problem::internal(
            "corrupt",
            format!("device {} enrolled into a missing organisation", device.id),
        )
    })?;
    let trust = match request.bundle_key.as_deref().map(parse_bundle_key) {
        Some(Ok(bundle_key)) => grant_trust(hub, &device, bundle_key).await,
        Some(Err(problem)) => {
            tracing::warn!(device = %device.id, code = problem.code, "enrolled without a membership cert");
            None
        }
        None => None,
    };
    let (org_signing_key, membership_cert, revocation_list) = match trust {
        Some((key, cert, list)) => (
            Some(hex::encode(key)),
            Some(hex::encode(cert.to_bytes())),
            Some(hex::encode(list.to_bytes())),
        ),
        None => (None, None, None),
    };
    tracing::info!(
        device = %device.id,
        name = %printable(request.device_name.as_deref().unwrap_or("")),
        org = %org.id,
        "device enrolled"
    );
    Ok(EnrolmentGrantJson {
        org_id: org.id.0,
        org_name: org.name,
        recovery_public_key: hex::encode(&org.recovery_public_key),
        device_id: device.id.0,
        org_signing_key,
        membership_cert,
        revocation_list,
    })
}

/// The organisation's signing key, the device's cert and the list, for the
/// grant. The device is enrolled already: if signing fails (a hub serving
/// without its master key), it is enrolled without them and gets them at
/// its next sync.
async fn grant_trust<S: HubStore>(
    hub: &Hub<S>,
    device: &crate::Device,
    bundle_key: [u8; 32],
) -> Option<(
    [u8; 32],
    karte_sync::trust::SignedCert,
    karte_sync::trust::SignedRevocationList,
)> {
    let signed = async {
        let cert = hub
            .store()
            .issue_cert(&device.id, bundle_key, hub.now())
            .await?;
        let (key, list) = hub.store().org_trust(&device.org, hub.now()).await?;
        Ok::<_, crate::HubStoreError>((key, cert, list))
    };
    match signed.await {
        Ok(trust) => Some(trust),
        Err(error) => {
            tracing::warn!(device = %device.id, %error, "enrolled without a membership cert");
            None
        }
    }
}

fn parse_bundle_key(text: &str) -> Result<[u8; 32], Problem> {
    hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| Problem::malformed("the bundle key must be 32 bytes in hex"))
}

fn check_device_id(id: &str) -> Result<(), Problem> {
    let sane = !id.is_empty()
        && id.len() <= MAX_DEVICE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if sane {
        Ok(())
    } else {
        Err(Problem::malformed(format!(
            "the device id must be 1 to {MAX_DEVICE_ID_LEN} letters, digits, '-' or '_' (the vault's device ULID)"
        )))
    }
}

fn parse_public_key(text: &str) -> Result<[u8; 32], Problem> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).ok()
    } else {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            Problem::malformed(
                "the public key must be the device's 32-byte Ed25519 public key, in hex or base64",
            )
        })
}

/// A name as it may go into the log: short, and without control characters
/// that could forge log lines.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(80).collect()
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    protocol_version: u16,
    /// Charts whose arrival is still being worked out in the background.
    arrivals_pending: usize,
}

/// Healthy when the database answers.
pub(super) async fn health<S: HubStore>(State(hub): State<Hub<S>>) -> Response {
    match hub.store().feed_head().await {
        Ok(_) => Json(Health {
            status: "ok",
            protocol_version: karte_sync::wire::PROTOCOL_VERSION,
            arrivals_pending: hub.arrivals_pending(),
        })
        .into_response(),
        Err(error) => {
            let mut problem = Problem::from(error);
            problem.status = StatusCode::SERVICE_UNAVAILABLE;
            problem.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_is_read_as_hex_or_base64() {
        let key = [0xabu8; 32];
        let from_hex = parse_public_key(&hex::encode(key)).unwrap();
        let from_b64 = parse_public_key(&base64::engine::general_purpose::STANDARD.encode(key));
        let from_url =
            parse_public_key(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key));
        assert_eq!(
            (from_hex, from_b64.unwrap(), from_url.unwrap()),
            (key, key, key)
        );
        assert_eq!(parse_public_key("abcd").unwrap_err().code, "malformed");
        assert!(parse_public_key(&hex::encode([1; 31])).is_err());
    }

    #[test]
    fn a_device_name_cannot_forge_log_lines() {
        assert_eq!(printable("tablet\nERROR forged"), "tabletERROR forged");
        assert_eq!(printable(&"長".repeat(100)).chars().count(), 80);
    }

    #[test]
    fn a_device_id_is_a_short_plain_word() {
        assert!(check_device_id("01JQ3Z8K4M2N6P8R0T2V4X6Z8B").is_ok());
        for bad in ["", "a b", "../etc", &"x".repeat(65), "名前"] {
            assert!(check_device_id(bad).is_err(), "{bad:?}");
        }
    }
}
