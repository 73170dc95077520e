//! Who sent a request and who wrote a change: the device's Ed25519 key, the
//! signatures over requests and over change hashes, and their checks.
//!
//! Every signed message starts with its own domain label, so a signature
//! over a request can never pass as one over a change, or the other way.

use automerge::{ActorId, ChangeHash};
use karte_record::actor_is_of_device;
use karte_types::DeviceId;
use ring::rand::SecureRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use crate::wire::{
    ChangeSignature, Limits, RequestHeader, SignedChange, SignedRequest, SyncRequest,
};
use crate::{AuthError, wire};

/// Version 3 of the protocol signs the compressed body; its own label
/// keeps an older signature, over the uncompressed body, from passing.
const REQUEST_DOMAIN: &[u8] = b"karte-sync-v3\0";
const CHANGE_DOMAIN: &[u8] = b"karte-change-v1\0";
const AUDIT_DOMAIN: &[u8] = b"karte-audit-head-v1\0";
const BUNDLE_HEADER_DOMAIN: &[u8] = b"karte-bundle-header-v1\0";
const BUNDLE_DOMAIN: &[u8] = b"karte-bundle-v1\0";

/// A device's signing key. The vault keeps its PKCS#8 encrypted; drop this
/// on lock (ring does not wipe its key objects, so they must not outlive the
/// unlocked session).
pub struct DeviceKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// A new key, and its PKCS#8 for the vault to seal.
    pub fn generate(
        random: &dyn SecureRandom,
    ) -> Result<(DeviceKey, Zeroizing<Vec<u8>>), AuthError> {
        let document =
            Ed25519KeyPair::generate_pkcs8(random).map_err(|_| AuthError::NoRandomness)?;
        // ring's own copy is not wiped on drop; this one, which the caller
        // keeps, is.
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        let key = DeviceKey::from_pkcs8(&pkcs8)?;
        Ok((key, pkcs8))
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceKey, AuthError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| AuthError::BadKey)?;
        Ok(DeviceKey { pair })
    }

    /// What the hub stores at enrolment to check this device's signatures.
    pub fn public_key(&self) -> [u8; 32] {
        let mut key = [0; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        key
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

/// What a request's signature covers: the domain label, the device id
/// (length-prefixed), the send time, the nonce and the SHA-256 of the body
/// as it travels (compressed).
pub fn request_signing_message(
    device: &DeviceId,
    sent_at_ms: i64,
    nonce: &[u8; 16],
    body_sha256: &[u8; 32],
) -> Vec<u8> {
    let device = device.as_str().as_bytes();
    let device_len = u32::try_from(device.len()).unwrap_or(u32::MAX);
    let mut message = Vec::with_capacity(REQUEST_DOMAIN.len() + 4 + device.len() + 8 + 16 + 32);
    message.extend_from_slice(REQUEST_DOMAIN);
    message.extend_from_slice(&device_len.to_be_bytes());
    message.extend_from_slice(device);
    message.extend_from_slice(&sent_at_ms.to_be_bytes());
    message.extend_from_slice(nonce);
    message.extend_from_slice(body_sha256);
    message
}

/// What a change's signature covers: the domain label and the change hash.
pub fn change_signing_message(hash: &[u8; 32]) -> Vec<u8> {
    [CHANGE_DOMAIN, hash.as_slice()].concat()
}

/// Signs a request, whose body it compresses first: the signature covers
/// the bytes that travel. The time and the nonce come from the caller: the
/// nonce must be fresh random bytes for every request.
pub fn sign_request(
    key: &DeviceKey,
    device: &DeviceId,
    sent_at_ms: i64,
    nonce: [u8; 16],
    request: &SyncRequest,
) -> SignedRequest {
    sign_request_body(
        key,
        device,
        sent_at_ms,
        nonce,
        wire::deflate_request(request),
    )
}

/// Signs a request body that is compressed already, as it will travel: what
/// [`sign_request`] does after compressing, and how a test makes a signed
/// body that is not a request.
pub fn sign_request_body(
    key: &DeviceKey,
    device: &DeviceId,
    sent_at_ms: i64,
    nonce: [u8; 16],
    body: Vec<u8>,
) -> SignedRequest {
    let signature = key.sign(&request_signing_message(
        device,
        sent_at_ms,
        &nonce,
        &wire::sha256(&body),
    ));
    SignedRequest {
        device: device.clone(),
        sent_at_ms,
        nonce,
        body,
        signature,
    }
}

/// Checks a request's signature against the sending device's enrolled key,
/// then inflates and reads its body under the protocol's limits. Freshness
/// is checked apart, by [`crate::ReplayGuard`].
pub fn verify_request(
    request: &SignedRequest,
    public_key: &[u8; 32],
) -> Result<SyncRequest, AuthError> {
    check_request_signature(
        &request.device,
        request.sent_at_ms,
        &request.nonce,
        &wire::sha256(&request.body),
        &request.signature,
        public_key,
    )?;
    wire::inflate_request_body(&request.body, &Limits::PROTOCOL).map_err(AuthError::Body)
}

/// Checks a request header's signature against the sending device's
/// enrolled key, before its body is read: the body the header announces is
/// then the device's, once [`RequestHeader::with_body`] has checked it is
/// that body.
pub fn verify_request_header(
    header: &RequestHeader,
    public_key: &[u8; 32],
) -> Result<(), AuthError> {
    check_request_signature(
        &header.device,
        header.sent_at_ms,
        &header.nonce,
        &header.body_sha256,
        &header.signature,
        public_key,
    )
}

fn check_request_signature(
    device: &DeviceId,
    sent_at_ms: i64,
    nonce: &[u8; 16],
    body_sha256: &[u8; 32],
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), AuthError> {
    let message = request_signing_message(device, sent_at_ms, nonce, body_sha256);
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&message, signature)
        .map_err(|_| AuthError::BadSignature)
}

/// A change that passed [`verify_change`], parsed once so the hub can apply
/// it without reading the bytes again.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeInfo {
    pub hash: ChangeHash,
    pub actor: ActorId,
    pub deps: Vec<ChangeHash>,
    pub change: automerge::Change,
}

/// What a device's signature over its audit log covers: the domain label,
/// the device id (length-prefixed), and the number and hash of the last
/// entry, whose hash chains every entry before it.
pub fn audit_signing_message(device: &DeviceId, seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    let device = device.as_str().as_bytes();
    let device_len = u32::try_from(device.len()).unwrap_or(u32::MAX);
    let mut message = Vec::with_capacity(AUDIT_DOMAIN.len() + 4 + device.len() + 8 + 32);
    message.extend_from_slice(AUDIT_DOMAIN);
    message.extend_from_slice(&device_len.to_be_bytes());
    message.extend_from_slice(device);
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(hash);
    message
}

/// Signs the end of the device's audit log.
pub fn sign_audit_head(key: &DeviceKey, device: &DeviceId, seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    key.sign(&audit_signing_message(device, seq, hash))
}

/// Checks a device's signature over the end of its audit log.
pub fn verify_audit_head(
    device: &DeviceId,
    seq: u64,
    hash: &[u8; 32],
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), AuthError> {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&audit_signing_message(device, seq, hash), signature)
        .map_err(|_| AuthError::BadSignature)
}

/// Signs one of the device's own Automerge changes by its hash. A
/// compressed change is carried uncompressed, as the hub requires.
pub fn sign_change(key: &DeviceKey, change: &[u8]) -> Result<SignedChange, AuthError> {
    let parsed = parse_own_change(change)?;
    let hash = parsed.hash().0;
    Ok(SignedChange {
        change: parsed.raw_bytes().to_vec(),
        hash,
        signature: key.sign(&change_signing_message(&hash)),
        author: None,
    })
}

/// Signs a change by its hash alone: for a chart sent whole, whose tips are
/// signed without being carried one by one (see [`crate::cover`]).
pub fn sign_change_hash(key: &DeviceKey, hash: &[u8; 32]) -> Vec<u8> {
    key.sign(&change_signing_message(hash))
}

/// Checks that a pushed change's bytes have the hash it claims, that the
/// pushing device signed that hash, and that the change was written under
/// one of that device's actors.
pub fn verify_change(
    signed: &SignedChange,
    device: &DeviceId,
    public_key: &[u8; 32],
) -> Result<ChangeInfo, AuthError> {
    let change = parse_pushed_change(&signed.change)?;
    let hash = change.hash();
    if hash.0 != signed.hash {
        return Err(AuthError::ChangeHashMismatch {
            claimed: hex::encode(signed.hash),
            actual: hex::encode(hash.0),
        });
    }
    check_change_signature(&signed.hash, &signed.signature, public_key)?;
    if !actor_is_of_device(change.actor_id(), device) {
        return Err(AuthError::ForeignActor {
            hash: hex::encode(hash.0),
        });
    }
    Ok(ChangeInfo {
        hash,
        actor: change.actor_id().clone(),
        deps: change.deps().to_vec(),
        change,
    })
}

impl SignedChange {
    /// The signature record that travels beside this change once stored,
    /// when `pusher` pushed it: its author's, the pusher's unless named.
    pub fn signature_of(&self, pusher: &DeviceId) -> ChangeSignature {
        ChangeSignature {
            hash: self.hash,
            device: self.author.as_ref().unwrap_or(pusher).clone(),
            signature: self.signature.clone(),
        }
    }
}

/// Checks a carried change signature against its device's key. The caller
/// checks separately that the change it belongs to has this hash.
pub fn verify_change_signature(
    signature: &ChangeSignature,
    public_key: &[u8; 32],
) -> Result<(), AuthError> {
    check_change_signature(&signature.hash, &signature.signature, public_key)
}

fn check_change_signature(
    hash: &[u8; 32],
    signature: &[u8],
    public_key: &[u8; 32],
) -> Result<(), AuthError> {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&change_signing_message(hash), signature)
        .map_err(|_| AuthError::ForgedChange {
            hash: hex::encode(hash),
        })
}

/// The chunk types of Automerge's binary format that this crate reads.
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHANGE_CHUNK: u8 = 2;

/// Parses one change the device itself made, compressed or not.
fn parse_own_change(bytes: &[u8]) -> Result<automerge::Change, AuthError> {
    match bytes.get(8) {
        Some(&CHANGE_CHUNK | &COMPRESSED_CHANGE_CHUNK) => parse_chunk(bytes),
        _ => Err(malformed_change("it is not an Automerge change")),
    }
}

/// Parses one pushed change, from bytes nobody has vouched for yet. Only
/// uncompressed change chunks are read: Automerge inflates a compressed one
/// without a limit, so one small change could exhaust the hub's memory; the
/// request envelope compresses them anyway.
pub(crate) fn parse_pushed_change(bytes: &[u8]) -> Result<automerge::Change, AuthError> {
    match bytes.get(8) {
        Some(&CHANGE_CHUNK) => parse_chunk(bytes),
        Some(&COMPRESSED_CHANGE_CHUNK) => Err(malformed_change(
            "it is compressed; push uncompressed changes (Change::raw_bytes)",
        )),
        _ => Err(malformed_change("it is not an Automerge change")),
    }
}

/// Parses one chunk and checks its checksum. Automerge checks the checksum
/// when it loads a document but not when it parses a lone change: without
/// this, bytes with a wrong checksum would pass under the right hash, be
/// stored, and then fail to load on every device they are sent to.
fn parse_chunk(bytes: &[u8]) -> Result<automerge::Change, AuthError> {
    // Automerge 0.12 panics on some malformed chunks instead of returning an
    // error; a device must not be able to bring the hub down with one.
    let change = std::panic::catch_unwind(|| automerge::Change::try_from(bytes))
        .map_err(|_| malformed_change("Automerge could not parse it"))?
        .map_err(|e| malformed_change(&e.to_string()))?;
    // A chunk is magic (4 bytes), checksum (the first 4 bytes of the hash),
    // type, length and contents.
    if bytes.get(4..8) != Some(&change.hash().0[..4]) {
        return Err(malformed_change("its checksum does not match its contents"));
    }
    Ok(change)
}

fn malformed_change(detail: &str) -> AuthError {
    AuthError::MalformedChange {
        detail: detail.to_owned(),
    }
}

/// Signs a carried bundle's header (its postcard bytes).
pub fn sign_bundle_header(key: &DeviceKey, header: &[u8]) -> Vec<u8> {
    key.sign(&[BUNDLE_HEADER_DOMAIN, header].concat())
}

/// Signs a carried bundle as a whole: the SHA-256 of every byte before
/// this signature.
pub fn sign_bundle(key: &DeviceKey, file_sha256: &[u8; 32]) -> Vec<u8> {
    key.sign(&[BUNDLE_DOMAIN, file_sha256.as_slice()].concat())
}

/// Whether `signature` is `public_key`'s over a bundle header.
pub fn verify_bundle_header(public_key: &[u8; 32], header: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&[BUNDLE_HEADER_DOMAIN, header].concat(), signature)
        .is_ok()
}

/// Whether `signature` is `public_key`'s over a whole bundle.
pub fn verify_bundle(public_key: &[u8; 32], file_sha256: &[u8; 32], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&[BUNDLE_DOMAIN, file_sha256.as_slice()].concat(), signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    #[test]
    fn a_key_reloads_from_its_pkcs8() {
        let (key, pkcs8) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        let again = DeviceKey::from_pkcs8(&pkcs8).unwrap();
        assert_eq!(key.public_key(), again.public_key());
        assert_eq!(
            DeviceKey::from_pkcs8(&pkcs8[..pkcs8.len() - 1]).unwrap_err(),
            AuthError::BadKey
        );
        let debug = format!("{key:?}");
        assert!(debug.contains(&hex::encode(key.public_key())), "{debug}");
    }

    #[test]
    fn the_device_id_is_length_prefixed_in_the_signed_message() {
        // Without the prefix, moving bytes between the id and the time
        // could give two requests one message.
        let a = request_signing_message(&"ab".into(), 1, &[0; 16], &[0; 32]);
        let b = request_signing_message(&"a".into(), 1, &[0; 16], &[0; 32]);
        assert_eq!(&a[14..18], &2u32.to_be_bytes());
        assert_ne!(a[..b.len()], b[..]);
    }

    #[test]
    fn a_validly_signed_body_that_is_not_a_request_is_malformed() {
        let (key, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        let device = DeviceId::from("tablet-1");
        let body = vec![0xff; 3];
        let signature = key.sign(&request_signing_message(
            &device,
            5,
            &[1; 16],
            &wire::sha256(&body),
        ));
        let request = SignedRequest {
            device,
            sent_at_ms: 5,
            nonce: [1; 16],
            body,
            signature,
        };
        let error = verify_request(&request, &key.public_key()).unwrap_err();
        assert!(matches!(error, AuthError::Body(_)), "{error:?}");
        assert_eq!(error.code(), "malformed");
    }

    #[test]
    fn request_and_change_messages_are_domain_separated() {
        let change = change_signing_message(&[1; 32]);
        assert!(change.starts_with(b"karte-change-v1\0"));
        let request = request_signing_message(&"d".into(), 0, &[0; 16], &[0; 32]);
        assert!(request.starts_with(b"karte-sync-v3\0"));
    }
}
