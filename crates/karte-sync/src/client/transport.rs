//! How a device reaches a hub: one call to sync a round, one to enrol. The
//! session logic speaks only to this trait, so the same rounds run over
//! HTTP to the hub, in process against a test hub, or over any link that
//! carries bytes.
//!
//! Enrolment is JSON ([`crate::enrolment`]): the public key goes as 64 hex
//! digits, and the recovery key comes back as 64 hex digits.

use hex::FromHex;
use karte_types::DeviceId;

use crate::trust::{SignedCert, SignedRevocationList};
use crate::{EnrolmentGrantJson, EnrolmentRequestJson, TransportError};

/// A link to a hub.
pub trait Transport {
    /// Sends one request envelope and returns the response envelope. A hub
    /// that refuses answers `TransportError::Refused` with its code.
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError>;

    /// Sends one photo request envelope (`crate::photo`) and returns the
    /// answer. A link that carries no photos answers `not_found`, as a hub
    /// that keeps none does.
    fn post_photos(&mut self, _body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::Refused {
            status: 404,
            code: "not_found".to_owned(),
            message: "this link carries no photos".to_owned(),
        })
    }

    /// Redeems a one-time enrolment code with the device's public key.
    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError>;
}

/// What a device sends to enrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRequest {
    pub code: String,
    pub device_id: DeviceId,
    /// The device's Ed25519 public key.
    pub public_key: [u8; 32],
    /// A name people know the device by, e.g. "ステーション タブレット3".
    pub device_name: String,
    /// The device's X25519 key for bundles, named in its membership cert.
    pub bundle_key: Option<[u8; 32]>,
}

/// What the hub tells an enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentGrant {
    pub org_id: String,
    pub org_name: String,
    /// The organisation's X25519 recovery public key: the device seals its
    /// vault key to it.
    pub recovery_public_key: [u8; 32],
    /// The organisation's signing key, the device's cert and the
    /// organisation's revocation list, from a hub that signs them.
    pub trust: Option<GrantedTrust>,
}

/// What a device needs to take part in sync without a hub: its anchor, its
/// own membership cert and the newest revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedTrust {
    pub org_signing_key: [u8; 32],
    pub cert: SignedCert,
    pub list: SignedRevocationList,
}

impl EnrolmentRequest {
    /// The request as the hub's `/v1/enroll` reads it.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&EnrolmentRequestJson {
            code: self.code.clone(),
            device_id: self.device_id.as_str().to_owned(),
            public_key: hex::encode(self.public_key),
            device_name: Some(self.device_name.clone()),
            bundle_key: self.bundle_key.map(hex::encode),
        })
        .expect("an enrolment request always serialises")
    }
}

impl EnrolmentGrant {
    /// Reads the hub's answer to an enrolment.
    pub fn from_json(bytes: &[u8]) -> Result<EnrolmentGrant, TransportError> {
        let bad = |detail: String| TransportError::BadAnswer { detail };
        let json: EnrolmentGrantJson = serde_json::from_slice(bytes).map_err(|e| {
            bad(format!(
                "the enrolment answer is not the expected JSON: {e}"
            ))
        })?;
        let recovery_public_key = <[u8; 32]>::from_hex(json.recovery_public_key.trim())
            .ok()
            .ok_or_else(|| bad("the recovery public key is not 64 hex digits".to_owned()))?;
        let trust = match (
            json.org_signing_key,
            json.membership_cert,
            json.revocation_list,
        ) {
            (Some(key), Some(cert), Some(list)) => {
                let unreadable =
                    || bad("the membership cert, list or signing key cannot be read".to_owned());
                Some(GrantedTrust {
                    org_signing_key: <[u8; 32]>::from_hex(key.trim()).map_err(|_| unreadable())?,
                    cert: hex::decode(cert.trim())
                        .ok()
                        .and_then(|bytes| SignedCert::from_bytes(&bytes).ok())
                        .ok_or_else(unreadable)?,
                    list: hex::decode(list.trim())
                        .ok()
                        .and_then(|bytes| SignedRevocationList::from_bytes(&bytes).ok())
                        .ok_or_else(unreadable)?,
                })
            }
            _ => None,
        };
        Ok(EnrolmentGrant {
            org_id: json.org_id,
            org_name: json.org_name,
            recovery_public_key,
            trust,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enrolment_request_carries_the_key_in_hex() {
        let request = EnrolmentRequest {
            code: "7K3M-Q9TX".into(),
            device_id: "01JDEVICE".into(),
            public_key: [0xab; 32],
            device_name: "タブレット3".into(),
            bundle_key: Some([0xcd; 32]),
        };
        let json: serde_json::Value = serde_json::from_slice(&request.to_json()).unwrap();
        assert_eq!(json["public_key"], "ab".repeat(32));
        assert_eq!(json["device_id"], "01JDEVICE");
        assert_eq!(json["device_name"], "タブレット3");
        assert_eq!(json["bundle_key"], "cd".repeat(32));
    }

    #[test]
    fn a_grant_is_read_and_a_bad_one_is_refused() {
        let text = format!(
            r#"{{"org_id":"01JORG","org_name":"さくら","recovery_public_key":"{}","device_id":"x"}}"#,
            "0f".repeat(32)
        );
        let grant = EnrolmentGrant::from_json(text.as_bytes()).unwrap();
        assert_eq!(grant.recovery_public_key, [0x0f; 32]);
        assert_eq!(grant.org_name, "さくら");
        for bad in [
            "".to_owned(),
            r#"{"org_id":"a","org_name":"b","recovery_public_key":"0f"}"#.to_owned(),
            format!(
                r#"{{"org_id":"a","recovery_public_key":"{}"}}"#,
                "0f".repeat(32)
            ),
        ] {
            let error = EnrolmentGrant::from_json(bad.as_bytes()).unwrap_err();
            assert_eq!(error.code(), "bad_hub_answer", "{bad}");
        }
    }
}
