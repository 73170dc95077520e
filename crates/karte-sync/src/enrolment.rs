//! The JSON of `POST /v1/enroll`, as the device writes it and the hub reads
//! it, and the hub's answer, as the hub writes it and the device reads it:
//! one pair of types for both sides, so they cannot drift apart.
//!
//! The device's typed view of the same exchange (a `DeviceId`, key bytes)
//! is [`crate::client::EnrolmentRequest`] and [`crate::client::EnrolmentGrant`].

use serde::{Deserialize, Serialize};

/// What a device sends to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentRequestJson {
    /// The one-time code the administrator gave.
    pub code: String,
    pub device_id: String,
    /// The device's Ed25519 public key: 64 hex digits (the hub also reads
    /// base64, standard or URL-safe, padded or not).
    pub public_key: String,
    /// A name people know the device by ("ステーション タブレット3"); for
    /// the hub's log. A request without one is read as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// The device's X25519 key for bundles sealed to it, 64 hex digits; the
    /// hub names it in the device's membership cert. Older devices send
    /// none and get no cert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_key: Option<String>,
}

/// What the hub tells an enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentGrantJson {
    pub org_id: String,
    pub org_name: String,
    /// The organisation's X25519 recovery public key, 64 hex digits: the
    /// device seals its vault key to it.
    pub recovery_public_key: String,
    /// The device's id as the hub enrolled it. The device knows it already
    /// and an answer without it is read as well.
    #[serde(default)]
    pub device_id: String,
    /// The organisation's Ed25519 signing key, 64 hex digits: the anchor
    /// the device checks its peers' certs and lists against. Learnt over
    /// the hub's TLS (trust on first use; see the threat model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_signing_key: Option<String>,
    /// The device's membership cert ([`crate::trust::SignedCert::to_bytes`]), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_cert: Option<String>,
    /// The organisation's revocation list
    /// ([`crate::trust::SignedRevocationList::to_bytes`]), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_list: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_a_device_name_is_read_and_written_alike() {
        let text = r#"{"code":"7K3M-Q9TX","device_id":"01JDEVICE","public_key":"ab"}"#;
        let request: EnrolmentRequestJson = serde_json::from_str(text).unwrap();
        assert_eq!(request.device_name, None);
        assert_eq!(serde_json::to_string(&request).unwrap(), text);
    }

    #[test]
    fn a_grant_without_a_device_id_is_read() {
        let grant: EnrolmentGrantJson = serde_json::from_str(
            r#"{"org_id":"01JORG","org_name":"さくら","recovery_public_key":"0f"}"#,
        )
        .unwrap();
        assert_eq!(
            (grant.org_name.as_str(), grant.device_id.as_str()),
            ("さくら", "")
        );
    }
}
