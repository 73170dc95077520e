//! Trust without a hub: who is a member of an organisation or a field team,
//! checked offline.
//!
//! The hub holds an Ed25519 signing key per organisation (the issuer); a
//! team's key is made on the device that creates the team (its lead), and
//! the team's id is derived from that key ([`TeamId::of_key`]). Either
//! kind of issuer
//! signs a [`MembershipCert`] for every enrolled device, naming the device's
//! signing key and its X25519 bundle key, and a [`RevocationList`] of the
//! devices it revoked. A device keeps the organisation's public key (its
//! anchor, learnt at enrolment), its own cert, the certs of peers and the
//! newest list per issuer; with those it decides whether a peer or a
//! bundle's sender belongs, without asking the hub ([`verify_member`]).
//!
//! Lists merge by sequence: every list of an issuer is signed by the same
//! key, so "the highest sequence wins" needs no clock, and merging in any
//! order gives the same set ([`RevocationLists::merge`]).
//!
//! Every signed thing starts with its own domain label, so a cert's
//! signature can never pass as a list's, a change's or a request's.

use std::collections::BTreeMap;

use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, Serializable};
use karte_types::{DeviceId, ErrorCode};
use ring::rand::SecureRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::wire::{from_postcard, to_postcard};

const CERT_DOMAIN: &[u8] = b"karte-cert-v1\0";
const CRL_DOMAIN: &[u8] = b"karte-crl-v1\0";
/// The only cert format this build reads.
pub const CERT_VERSION: u8 = 1;
/// Field clocks drift: a cert is honoured this long before it starts and
/// after it ends, the same tolerance as a change's time.
pub const CLOCK_TOLERANCE_MS: i64 = 24 * 60 * 60 * 1000;
/// An organisation's cert lasts a year; the hub renews it at a sync once
/// less than [`CERT_RENEW_BEFORE_MS`] is left.
pub const ORG_CERT_LIFETIME_MS: i64 = 365 * 24 * 60 * 60 * 1000;
pub const CERT_RENEW_BEFORE_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// A team's cert lasts 30 days: a lost tablet of a team that never met a
/// hub is refused everywhere a month later even if no revocation reached
/// a peer.
pub const TEAM_CERT_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Who issues certs and lists: an organisation (its key held by the hub)
/// or a field team (its key made on the device that created the team).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Principal {
    /// An organisation, by its hub id.
    Org(String),
    /// A team, by its [`TeamId`] (derived from its public key).
    Team(TeamId),
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Org(org) => write!(f, "organisation {org}"),
            Principal::Team(team) => write!(f, "team {team}"),
        }
    }
}

/// A team's id: `T` and 20 characters of Crockford base32 of the SHA-256
/// of the team's public key. Derived, never chosen: whoever holds the key
/// holds the id, and a second key cannot claim it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TeamId(pub String);

impl TeamId {
    pub fn of_key(public_key: &[u8; 32]) -> TeamId {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        TeamId(format!(
            "T{}",
            crate::enrolment_code::base32(digest.as_ref(), 20)
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TeamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fingerprint of a team's key as a person reads it to compare two
/// screens (`XXXX-XXXX`, 40 bits of SHA-256 under its own label), for a
/// hub's later adoption of the team.
pub fn team_key_fingerprint(public_key: &[u8; 32]) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        &[b"karte/team-key-fingerprint/v1".as_slice(), public_key].concat(),
    );
    let plain = crate::enrolment_code::base32(digest.as_ref(), 8);
    format!("{}-{}", &plain[..4], &plain[4..])
}

/// What a device may do for its issuer. User roles stay in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceRole {
    Member,
    TeamLead,
}

/// An issuer's word that a device belongs. No device name travels in it:
/// a name such as "Yamada's iPad" identifies staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipCert {
    pub version: u8,
    pub issuer: Principal,
    /// Ed25519; must equal the anchor the verifier holds for `issuer`.
    pub issuer_key: [u8; 32],
    /// Per issuer, grows with every cert it signs.
    pub serial: u64,
    pub device: DeviceId,
    pub role: DeviceRole,
    /// Ed25519: the key of the device's requests and changes.
    pub signing_key: [u8; 32],
    /// X25519: bundles for this device are sealed to it.
    pub bundle_key: [u8; 32],
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

/// A cert as it travels: its postcard bytes and the issuer's signature
/// over the domain label and those bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCert {
    #[serde(with = "serde_bytes")]
    pub cert: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// One revoked device; `lost` devices' changes are refused whatever their
/// time, retired devices' changes made before `since_ms` stay good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub device: DeviceId,
    pub since_ms: i64,
    pub lost: bool,
}

/// The whole list of an issuer's revoked devices; a newer list has a
/// higher sequence and replaces the older one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    pub issuer: Principal,
    pub issuer_key: [u8; 32],
    pub sequence: u64,
    pub issued_at_ms: i64,
    pub revoked: Vec<Revoked>,
}

/// A list as it travels, like [`SignedCert`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRevocationList {
    #[serde(with = "serde_bytes")]
    pub list: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub signature: Vec<u8>,
}

/// Why a device is not taken as a member, or a list not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error(
        "the other device is not a member of this device's organisation or team ({detail}): it may sync only with devices its organisation enrolled or its team took in"
    )]
    NotMember { detail: String },
    #[error(
        "the other device's membership ran out (valid until {not_after_ms} ms since 1970-01-01 UTC): it must sync with the hub once to renew it, or, in a team, be taken in again by the team's lead"
    )]
    Expired { not_after_ms: i64 },
    #[error(
        "device {device} was revoked by its organisation or team: nothing is exchanged with it; tell the administrator or the team's lead if it is in use"
    )]
    Revoked { device: DeviceId },
    #[error(
        "{issuer} is not known on this device: sync with the hub (or enrol), or join the team, so the device learns it"
    )]
    UnknownIssuer { issuer: Principal },
    #[error(
        "a revocation list cannot be read or its signature does not hold ({detail}): it was damaged or forged and was not kept"
    )]
    BadList { detail: String },
    #[error(
        "the organisation's or team's signing key is damaged: make a new one with the hub, or a new team"
    )]
    BadIssuerKey,
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
}

impl TrustError {
    pub fn code(&self) -> ErrorCode {
        match self {
            TrustError::NotMember { .. } => ErrorCode::PeerNotMember,
            TrustError::Expired { .. } => ErrorCode::PeerCertExpired,
            TrustError::Revoked { .. } => ErrorCode::PeerRevoked,
            TrustError::UnknownIssuer { .. } => ErrorCode::UnknownIssuer,
            TrustError::BadList { .. } => ErrorCode::Malformed,
            TrustError::BadIssuerKey => ErrorCode::BadKey,
            TrustError::NoRandomness => ErrorCode::NoRandomness,
        }
    }

    fn not_member(detail: impl Into<String>) -> TrustError {
        TrustError::NotMember {
            detail: detail.into(),
        }
    }
}

/// An issuer's signing key (the hub's, per organisation). Drop it as soon
/// as it has signed: ring does not wipe its key objects.
pub struct IssuerKey {
    issuer: Principal,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerKey")
            .field("issuer", &self.issuer)
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl IssuerKey {
    /// A new team: its key (the issuer is the id derived from it), and its
    /// PKCS#8 for the lead's vault to seal.
    pub fn generate_team(
        random: &dyn SecureRandom,
    ) -> Result<(IssuerKey, Zeroizing<Vec<u8>>), TrustError> {
        let document =
            Ed25519KeyPair::generate_pkcs8(random).map_err(|_| TrustError::NoRandomness)?;
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        Ok((IssuerKey::team_from_pkcs8(&pkcs8)?, pkcs8))
    }

    /// A team's key from its PKCS#8; the issuer is the id of its public key.
    pub fn team_from_pkcs8(pkcs8: &[u8]) -> Result<IssuerKey, TrustError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| TrustError::BadIssuerKey)?;
        let mut public = [0; 32];
        public.copy_from_slice(pair.public_key().as_ref());
        Ok(IssuerKey {
            issuer: Principal::Team(TeamId::of_key(&public)),
            pair,
        })
    }

    /// A new key, and its PKCS#8 for the hub to wrap.
    pub fn generate(
        issuer: Principal,
        random: &dyn SecureRandom,
    ) -> Result<(IssuerKey, Zeroizing<Vec<u8>>), TrustError> {
        let document =
            Ed25519KeyPair::generate_pkcs8(random).map_err(|_| TrustError::NoRandomness)?;
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        Ok((IssuerKey::from_pkcs8(issuer, &pkcs8)?, pkcs8))
    }

    /// The key from its 32-byte seed, as the hub keeps it (wrapped by its
    /// master key, which wraps 32-byte keys).
    pub fn from_seed(issuer: Principal, seed: &[u8; 32]) -> Result<IssuerKey, TrustError> {
        let pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| TrustError::BadIssuerKey)?;
        Ok(IssuerKey { issuer, pair })
    }

    pub fn from_pkcs8(issuer: Principal, pkcs8: &[u8]) -> Result<IssuerKey, TrustError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| TrustError::BadIssuerKey)?;
        Ok(IssuerKey { issuer, pair })
    }

    pub fn issuer(&self) -> &Principal {
        &self.issuer
    }

    pub fn public_key(&self) -> [u8; 32] {
        let mut key = [0; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        key
    }

    /// Signs a cert for `device`, issued by this key.
    pub fn sign_cert(&self, fields: CertFields) -> SignedCert {
        let cert = MembershipCert {
            version: CERT_VERSION,
            issuer: self.issuer.clone(),
            issuer_key: self.public_key(),
            serial: fields.serial,
            device: fields.device,
            role: fields.role,
            signing_key: fields.signing_key,
            bundle_key: fields.bundle_key,
            not_before_ms: fields.not_before_ms,
            not_after_ms: fields.not_after_ms,
        };
        let cert = to_postcard(&cert);
        let signature = self
            .pair
            .sign(&[CERT_DOMAIN, &cert].concat())
            .as_ref()
            .to_vec();
        SignedCert { cert, signature }
    }

    /// Signs this issuer's whole list of revoked devices.
    pub fn sign_list(
        &self,
        sequence: u64,
        issued_at_ms: i64,
        revoked: Vec<Revoked>,
    ) -> SignedRevocationList {
        let list = RevocationList {
            issuer: self.issuer.clone(),
            issuer_key: self.public_key(),
            sequence,
            issued_at_ms,
            revoked,
        };
        let list = to_postcard(&list);
        let signature = self
            .pair
            .sign(&[CRL_DOMAIN, &list].concat())
            .as_ref()
            .to_vec();
        SignedRevocationList { list, signature }
    }
}

/// What an issuer puts in a cert besides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFields {
    pub serial: u64,
    pub device: DeviceId,
    pub role: DeviceRole,
    pub signing_key: [u8; 32],
    pub bundle_key: [u8; 32],
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

fn signature_holds(key: &[u8; 32], domain: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&[domain, message].concat(), signature)
        .is_ok()
}

impl SignedCert {
    /// The bytes a cert is kept and carried as outside a sync message
    /// (the enrolment grant, the vault, the hub's tables).
    pub fn to_bytes(&self) -> Vec<u8> {
        to_postcard(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedCert, TrustError> {
        from_postcard(bytes)
            .map_err(|e| TrustError::not_member(format!("the cert cannot be read: {e}")))
    }

    /// The cert, once its signature holds under the key it names. Whether
    /// that key is an anchor is [`verify_member`]'s question.
    pub fn open(&self) -> Result<MembershipCert, TrustError> {
        let cert: MembershipCert = from_postcard(&self.cert)
            .map_err(|e| TrustError::not_member(format!("the cert cannot be read: {e}")))?;
        if cert.version != CERT_VERSION {
            return Err(TrustError::not_member(format!(
                "cert format {} is not known to this Karte",
                cert.version
            )));
        }
        if !signature_holds(&cert.issuer_key, CERT_DOMAIN, &self.cert, &self.signature) {
            return Err(TrustError::not_member("the cert's signature does not hold"));
        }
        Ok(cert)
    }
}

impl SignedRevocationList {
    /// The bytes a list is kept and carried as, like [`SignedCert::to_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        to_postcard(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedRevocationList, TrustError> {
        from_postcard(bytes).map_err(|e| TrustError::BadList {
            detail: format!("it cannot be read: {e}"),
        })
    }

    /// The list, once its signature holds under the key it names.
    pub fn open(&self) -> Result<RevocationList, TrustError> {
        let list: RevocationList = from_postcard(&self.list).map_err(|e| TrustError::BadList {
            detail: format!("it cannot be read: {e}"),
        })?;
        if !signature_holds(&list.issuer_key, CRL_DOMAIN, &self.list, &self.signature) {
            return Err(TrustError::BadList {
                detail: "its signature does not hold".to_owned(),
            });
        }
        Ok(list)
    }
}

/// The issuers' public keys a device trusts: learnt at enrolment (and,
/// later, from joining a team).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchors {
    keys: BTreeMap<Principal, [u8; 32]>,
}

impl Anchors {
    pub fn insert(&mut self, issuer: Principal, key: [u8; 32]) {
        self.keys.insert(issuer, key);
    }

    pub fn get(&self, issuer: &Principal) -> Option<&[u8; 32]> {
        self.keys.get(issuer)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Principal, &[u8; 32])> {
        self.keys.iter()
    }

    /// The anchor of `issuer` when it is `key`, else why not. A team's
    /// id must also be the one its key derives.
    fn check(&self, issuer: &Principal, key: &[u8; 32]) -> Result<(), TrustError> {
        if let Principal::Team(team) = issuer
            && &TeamId::of_key(key) != team
        {
            return Err(TrustError::not_member(format!(
                "the cert names {issuer} with a key that is not the team's"
            )));
        }
        match self.keys.get(issuer) {
            None => Err(TrustError::UnknownIssuer {
                issuer: issuer.clone(),
            }),
            Some(anchor) if anchor == key => Ok(()),
            Some(_) => Err(TrustError::not_member(format!(
                "the cert is signed by another key than {issuer}'s"
            ))),
        }
    }
}

/// The newest verified list per issuer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationLists {
    newest: BTreeMap<Principal, (RevocationList, SignedRevocationList)>,
}

impl RevocationLists {
    /// Takes `signed` if it is the issuer's newest list: its signature holds
    /// under the anchor of its issuer and its sequence is higher than the
    /// one held. Two lists with one sequence (which an honest issuer never
    /// signs) are ordered by their bytes, so merging in any order ends in
    /// the same lists. Returns whether it was taken.
    pub fn merge(
        &mut self,
        signed: &SignedRevocationList,
        anchors: &Anchors,
    ) -> Result<bool, TrustError> {
        let list = signed.open()?;
        match anchors.check(&list.issuer, &list.issuer_key) {
            Ok(()) => {}
            Err(TrustError::NotMember { .. }) => {
                return Err(TrustError::BadList {
                    detail: format!("it is signed by another key than {}'s", list.issuer),
                });
            }
            Err(other) => return Err(other),
        }
        let newer = match self.newest.get(&list.issuer) {
            None => true,
            Some((held, held_signed)) => {
                (list.sequence, &signed.list, &signed.signature)
                    > (held.sequence, &held_signed.list, &held_signed.signature)
            }
        };
        if newer {
            self.newest
                .insert(list.issuer.clone(), (list, signed.clone()));
        }
        Ok(newer)
    }

    /// The newest list of `issuer`.
    pub fn get(&self, issuer: &Principal) -> Option<&RevocationList> {
        self.newest.get(issuer).map(|(list, _)| list)
    }

    /// The sequence of the newest list of `issuer`, 0 when none is held.
    pub fn sequence(&self, issuer: &Principal) -> u64 {
        self.get(issuer).map_or(0, |list| list.sequence)
    }

    /// Every list held, as they travel.
    pub fn signed(&self) -> impl Iterator<Item = &SignedRevocationList> {
        self.newest.values().map(|(_, signed)| signed)
    }

    /// The revocation of `device` by `issuer`, if any.
    pub fn revocation(&self, issuer: &Principal, device: &DeviceId) -> Option<&Revoked> {
        self.get(issuer)?
            .revoked
            .iter()
            .find(|revoked| &revoked.device == device)
    }
}

/// A device whose cert holds: who it is, for whom, and its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedMember {
    pub cert: MembershipCert,
}

impl VerifiedMember {
    pub fn device(&self) -> &DeviceId {
        &self.cert.device
    }

    pub fn principal(&self) -> &Principal {
        &self.cert.issuer
    }
}

/// Whether `signed` makes its device a member at `now_ms`: the cert reads,
/// its issuer is an anchor with that very key, the signature holds, `now_ms`
/// is within its validity (give or take [`CLOCK_TOLERANCE_MS`]) and the
/// issuer's newest list does not name the device.
pub fn verify_member(
    signed: &SignedCert,
    anchors: &Anchors,
    lists: &RevocationLists,
    now_ms: i64,
) -> Result<VerifiedMember, TrustError> {
    // The anchor is looked up before the signature is checked, so a cert of
    // an issuer this device never met says so rather than "not a member".
    let cert: MembershipCert = from_postcard(&signed.cert)
        .map_err(|e| TrustError::not_member(format!("the cert cannot be read: {e}")))?;
    anchors.check(&cert.issuer, &cert.issuer_key)?;
    let cert = signed.open()?;
    if now_ms < cert.not_before_ms.saturating_sub(CLOCK_TOLERANCE_MS)
        || now_ms > cert.not_after_ms.saturating_add(CLOCK_TOLERANCE_MS)
    {
        return Err(TrustError::Expired {
            not_after_ms: cert.not_after_ms,
        });
    }
    if lists.revocation(&cert.issuer, &cert.device).is_some() {
        return Err(TrustError::Revoked {
            device: cert.device,
        });
    }
    Ok(VerifiedMember { cert })
}

type BundleKem = X25519HkdfSha256;

/// A device's X25519 key for bundles sealed to it (HPKE), kept apart from
/// its Ed25519 signing key: one key, one protocol. Its bytes are wiped
/// when it is dropped.
pub struct BundleSecretKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for BundleSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleSecretKey")
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl BundleSecretKey {
    /// A new key from the operating system's random source.
    pub fn generate(random: &dyn SecureRandom) -> Result<BundleSecretKey, TrustError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random
            .fill(seed.as_mut())
            .map_err(|_| TrustError::NoRandomness)?;
        let (private, _) = BundleKem::derive_keypair(seed.as_ref());
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&private.to_bytes());
        Ok(BundleSecretKey { bytes })
    }

    /// The key from its 32 bytes, as the vault keeps them.
    pub fn from_bytes(bytes: &[u8]) -> Option<BundleSecretKey> {
        <BundleKem as hpke::Kem>::PrivateKey::from_bytes(bytes).ok()?;
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(bytes);
        Some(BundleSecretKey { bytes: out })
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub fn public_key(&self) -> [u8; 32] {
        let private = <BundleKem as hpke::Kem>::PrivateKey::from_bytes(self.bytes.as_ref())
            .expect("checked when the key was made");
        let mut out = [0u8; 32];
        out.copy_from_slice(&BundleKem::sk_to_pk(&private).to_bytes());
        out
    }
}

/// The HPKE `info` of a bundle's key slot: binds the slot to the bundle
/// and its sender, so a slot copied into another bundle does not open.
fn slot_info(bundle_id: &[u8; 16], sender: &DeviceId) -> Vec<u8> {
    [
        b"karte-bundle-v1".as_slice(),
        bundle_id,
        sender.as_str().as_bytes(),
    ]
    .concat()
}

/// One recipient's sealed copy of a bundle's content key: the HPKE
/// encapsulated key and the key sealed to the recipient's bundle key
/// (base mode, X25519-HKDF-SHA256, ChaCha20-Poly1305), the recipient's
/// device id as associated data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySlot {
    pub device: DeviceId,
    pub enc: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub wrapped_key: Vec<u8>,
}

/// Seals `content_key` for `device`, whose cert names `bundle_key`. The
/// ephemeral key comes from the operating system's random source.
pub fn seal_key_slot(
    bundle_id: &[u8; 16],
    sender: &DeviceId,
    device: &DeviceId,
    bundle_key: &[u8; 32],
    content_key: &[u8; 32],
) -> Option<KeySlot> {
    let public = <BundleKem as hpke::Kem>::PublicKey::from_bytes(bundle_key).ok()?;
    let (encapped, wrapped_key) =
        hpke::single_shot_seal::<hpke::aead::ChaCha20Poly1305, hpke::kdf::HkdfSha256, BundleKem>(
            &hpke::OpModeS::Base,
            &public,
            &slot_info(bundle_id, sender),
            content_key,
            device.as_str().as_bytes(),
        )
        .ok()?;
    let mut enc = [0u8; 32];
    enc.copy_from_slice(&encapped.to_bytes());
    Some(KeySlot {
        device: device.clone(),
        enc,
        wrapped_key,
    })
}

impl BundleSecretKey {
    /// The content key in `slot`, if it was sealed to this key for this
    /// bundle and sender.
    pub fn open_key_slot(
        &self,
        bundle_id: &[u8; 16],
        sender: &DeviceId,
        slot: &KeySlot,
    ) -> Option<Zeroizing<[u8; 32]>> {
        let private = <BundleKem as hpke::Kem>::PrivateKey::from_bytes(self.bytes.as_ref()).ok()?;
        let encapped = <BundleKem as hpke::Kem>::EncappedKey::from_bytes(&slot.enc).ok()?;
        let key =
            Zeroizing::new(
                hpke::single_shot_open::<
                    hpke::aead::ChaCha20Poly1305,
                    hpke::kdf::HkdfSha256,
                    BundleKem,
                >(
                    &hpke::OpModeR::Base,
                    &private,
                    &encapped,
                    &slot_info(bundle_id, sender),
                    &slot.wrapped_key,
                    slot.device.as_str().as_bytes(),
                )
                .ok()?,
            );
        let mut out = Zeroizing::new([0u8; 32]);
        (key.len() == 32).then(|| {
            out.copy_from_slice(&key);
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::rand::SystemRandom;

    const NOW: i64 = 1_780_000_000_000;

    fn org(name: &str) -> Principal {
        Principal::Org(name.to_owned())
    }

    fn issuer(name: &str) -> IssuerKey {
        IssuerKey::generate(org(name), &SystemRandom::new())
            .unwrap()
            .0
    }

    fn fields(device: &str) -> CertFields {
        CertFields {
            serial: 1,
            device: DeviceId::from(device),
            role: DeviceRole::Member,
            signing_key: [7; 32],
            bundle_key: [9; 32],
            not_before_ms: NOW - 1000,
            not_after_ms: NOW + ORG_CERT_LIFETIME_MS,
        }
    }

    fn anchored(key: &IssuerKey) -> Anchors {
        let mut anchors = Anchors::default();
        anchors.insert(key.issuer().clone(), key.public_key());
        anchors
    }

    #[test]
    fn a_cert_of_an_anchor_makes_a_member() {
        let key = issuer("clinic");
        let cert = key.sign_cert(fields("D1"));
        let member =
            verify_member(&cert, &anchored(&key), &RevocationLists::default(), NOW).unwrap();
        assert_eq!(member.device(), &DeviceId::from("D1"));
        assert_eq!(member.principal(), &org("clinic"));
        assert_eq!(member.cert.bundle_key, [9; 32]);
    }

    #[test]
    fn an_issuer_never_met_is_unknown_and_another_key_is_not_a_member() {
        let key = issuer("clinic");
        let cert = key.sign_cert(fields("D1"));
        let lists = RevocationLists::default();
        let error = verify_member(&cert, &Anchors::default(), &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownIssuer);
        // An impostor signs with its own key under the clinic's name.
        let impostor = issuer("clinic");
        let forged = impostor.sign_cert(fields("D1"));
        let error = verify_member(&forged, &anchored(&key), &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PeerNotMember);
    }

    #[test]
    fn a_cert_is_honoured_a_day_either_side_and_not_beyond() {
        let key = issuer("clinic");
        let cert = key.sign_cert(fields("D1"));
        let anchors = anchored(&key);
        let lists = RevocationLists::default();
        let start = NOW - 1000;
        let end = NOW + ORG_CERT_LIFETIME_MS;
        for now in [start - CLOCK_TOLERANCE_MS, end + CLOCK_TOLERANCE_MS] {
            assert!(verify_member(&cert, &anchors, &lists, now).is_ok());
        }
        for now in [start - CLOCK_TOLERANCE_MS - 1, end + CLOCK_TOLERANCE_MS + 1] {
            let error = verify_member(&cert, &anchors, &lists, now).unwrap_err();
            assert_eq!(error.code(), ErrorCode::PeerCertExpired);
        }
    }

    #[test]
    fn a_revoked_device_is_refused_once_the_newer_list_arrives() {
        let key = issuer("clinic");
        let anchors = anchored(&key);
        let cert = key.sign_cert(fields("D1"));
        let mut lists = RevocationLists::default();
        assert!(
            lists
                .merge(&key.sign_list(1, NOW, vec![]), &anchors)
                .unwrap()
        );
        assert!(verify_member(&cert, &anchors, &lists, NOW).is_ok());
        let revoked = vec![Revoked {
            device: DeviceId::from("D1"),
            since_ms: NOW,
            lost: true,
        }];
        assert!(
            lists
                .merge(&key.sign_list(2, NOW, revoked), &anchors)
                .unwrap()
        );
        let error = verify_member(&cert, &anchors, &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PeerRevoked);
        // An older list arriving late changes nothing.
        assert!(
            !lists
                .merge(&key.sign_list(1, NOW, vec![]), &anchors)
                .unwrap()
        );
        assert_eq!(lists.sequence(&org("clinic")), 2);
    }

    #[test]
    fn a_list_of_an_unknown_issuer_or_another_key_is_not_kept() {
        let key = issuer("clinic");
        let mut lists = RevocationLists::default();
        let error = lists
            .merge(&key.sign_list(1, NOW, vec![]), &Anchors::default())
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownIssuer);
        let impostor = issuer("clinic");
        let error = lists
            .merge(&impostor.sign_list(9, NOW, vec![]), &anchored(&key))
            .unwrap_err();
        assert!(matches!(error, TrustError::BadList { .. }), "{error:?}");
        assert_eq!(lists, RevocationLists::default());
    }

    #[test]
    fn a_cert_signature_is_not_a_list_signature() {
        // Same key, same bytes under the other label: refused.
        let key = issuer("clinic");
        let cert = key.sign_cert(fields("D1"));
        let as_list = SignedRevocationList {
            list: cert.cert.clone(),
            signature: cert.signature.clone(),
        };
        assert!(as_list.open().is_err());
    }

    fn team() -> IssuerKey {
        IssuerKey::generate_team(&SystemRandom::new()).unwrap().0
    }

    fn team_fields(device: &str) -> CertFields {
        CertFields {
            role: DeviceRole::Member,
            not_after_ms: NOW + TEAM_CERT_LIFETIME_MS,
            ..fields(device)
        }
    }

    #[test]
    fn a_team_cert_makes_a_member_against_the_team_anchor() {
        let (key, pkcs8) = IssuerKey::generate_team(&SystemRandom::new()).unwrap();
        let Principal::Team(id) = key.issuer().clone() else {
            panic!("a team key issues as a team");
        };
        assert_eq!(id, TeamId::of_key(&key.public_key()));
        assert_eq!(id.as_str().len(), 21);
        assert!(id.as_str().starts_with('T'));
        // The key read back from its PKCS#8 is the same issuer.
        let again = IssuerKey::team_from_pkcs8(&pkcs8).unwrap();
        assert_eq!(again.issuer(), key.issuer());
        let cert = key.sign_cert(team_fields("D1"));
        let member =
            verify_member(&cert, &anchored(&key), &RevocationLists::default(), NOW).unwrap();
        assert_eq!(member.principal(), &Principal::Team(id));
        // A team's cert ends after 30 days (and the day of tolerance).
        let error = verify_member(
            &cert,
            &anchored(&key),
            &RevocationLists::default(),
            NOW + TEAM_CERT_LIFETIME_MS + CLOCK_TOLERANCE_MS + 1,
        )
        .unwrap_err();
        assert_eq!(error.code(), ErrorCode::PeerCertExpired);
    }

    #[test]
    fn a_team_cert_does_not_pass_for_another_team_or_an_organisation() {
        let (ours, theirs) = (team(), team());
        assert_ne!(ours.issuer(), theirs.issuer());
        let lists = RevocationLists::default();
        let cert = theirs.sign_cert(team_fields("D1"));
        let error = verify_member(&cert, &anchored(&ours), &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownIssuer);
        // An anchor held under a team's id with a key that does not derive
        // it (a forged anchor entry) makes no member.
        let mut forged = Anchors::default();
        forged.insert(ours.issuer().clone(), theirs.public_key());
        let cert = theirs.sign_cert(team_fields("D1"));
        let relabelled = MembershipCert {
            issuer: ours.issuer().clone(),
            ..cert_of(&cert)
        };
        let signed = resign(&theirs, &relabelled);
        let error = verify_member(&signed, &forged, &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PeerNotMember);
        // An organisation's anchor does not vouch for a team's cert.
        let clinic = issuer("clinic");
        let error = verify_member(
            &ours.sign_cert(team_fields("D2")),
            &anchored(&clinic),
            &lists,
            NOW,
        )
        .unwrap_err();
        assert_eq!(error.code(), ErrorCode::UnknownIssuer);
    }

    #[test]
    fn a_team_revokes_its_members_with_its_own_list() {
        let lead = team();
        let anchors = anchored(&lead);
        let cert = lead.sign_cert(team_fields("D1"));
        let mut lists = RevocationLists::default();
        let revoked = vec![Revoked {
            device: DeviceId::from("D1"),
            since_ms: NOW,
            lost: true,
        }];
        assert!(
            lists
                .merge(&lead.sign_list(1, NOW, revoked), &anchors)
                .unwrap()
        );
        let error = verify_member(&cert, &anchors, &lists, NOW).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PeerRevoked);
        // Another team's list naming the device is not this team's word.
        let other = team();
        let mut both = anchors.clone();
        both.insert(other.issuer().clone(), other.public_key());
        let mut lists = RevocationLists::default();
        let revoked = vec![Revoked {
            device: DeviceId::from("D1"),
            since_ms: NOW,
            lost: true,
        }];
        lists
            .merge(&other.sign_list(1, NOW, revoked), &both)
            .unwrap();
        assert!(verify_member(&cert, &both, &lists, NOW).is_ok());
    }

    #[test]
    fn a_team_key_fingerprint_reads_as_two_groups_of_four() {
        let key = team();
        let fingerprint = team_key_fingerprint(&key.public_key());
        assert_eq!(fingerprint.len(), 9);
        assert_eq!(&fingerprint[4..5], "-");
        assert_eq!(fingerprint, team_key_fingerprint(&key.public_key()));
        assert_ne!(fingerprint, team_key_fingerprint(&team().public_key()));
    }

    fn cert_of(signed: &SignedCert) -> MembershipCert {
        signed.open().unwrap()
    }

    /// `cert` signed by `key` as it is, whatever issuer it names.
    fn resign(key: &IssuerKey, cert: &MembershipCert) -> SignedCert {
        let cert = to_postcard(cert);
        let signature = key
            .pair
            .sign(&[CERT_DOMAIN, &cert].concat())
            .as_ref()
            .to_vec();
        SignedCert { cert, signature }
    }

    #[test]
    fn a_bundle_key_round_trips_through_its_bytes() {
        let key = BundleSecretKey::generate(&SystemRandom::new()).unwrap();
        let again = BundleSecretKey::from_bytes(key.as_bytes()).unwrap();
        assert_eq!(key.public_key(), again.public_key());
        assert_ne!(key.public_key(), [0; 32]);
        assert!(BundleSecretKey::from_bytes(&[1; 31]).is_none());
    }

    #[test]
    fn a_key_slot_opens_only_for_its_device_bundle_and_sender() {
        let random = SystemRandom::new();
        let mine = BundleSecretKey::generate(&random).unwrap();
        let other = BundleSecretKey::generate(&random).unwrap();
        let (me, sender) = (DeviceId::from("D1"), DeviceId::from("S"));
        let id = [4u8; 16];
        let slot = seal_key_slot(&id, &sender, &me, &mine.public_key(), &[7; 32]).unwrap();
        assert_eq!(slot.wrapped_key.len(), 48);
        assert_eq!(*mine.open_key_slot(&id, &sender, &slot).unwrap(), [7; 32]);
        assert!(other.open_key_slot(&id, &sender, &slot).is_none());
        assert!(mine.open_key_slot(&[5; 16], &sender, &slot).is_none());
        assert!(
            mine.open_key_slot(&id, &DeviceId::from("T"), &slot)
                .is_none()
        );
        let moved = KeySlot {
            device: DeviceId::from("D2"),
            ..slot.clone()
        };
        assert!(mine.open_key_slot(&id, &sender, &moved).is_none());
    }

    fn flip(bytes: &mut [u8], at: usize, mask: u8) {
        let at = at % bytes.len();
        bytes[at] ^= mask;
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_byte_flip_in_a_cert_is_refused(at in any::<usize>(), mask in 1u8.., in_signature: bool) {
            let key = issuer("clinic");
            let mut cert = key.sign_cert(fields("D1"));
            if in_signature { flip(&mut cert.signature, at, mask) } else { flip(&mut cert.cert, at, mask) }
            prop_assert!(verify_member(&cert, &anchored(&key), &RevocationLists::default(), NOW).is_err());
        }

        #[test]
        fn any_byte_flip_in_a_list_is_refused(at in any::<usize>(), mask in 1u8.., in_signature: bool) {
            let key = issuer("clinic");
            let revoked = vec![Revoked { device: DeviceId::from("D9"), since_ms: NOW, lost: false }];
            let mut list = key.sign_list(3, NOW, revoked);
            if in_signature { flip(&mut list.signature, at, mask) } else { flip(&mut list.list, at, mask) }
            let mut lists = RevocationLists::default();
            prop_assert!(lists.merge(&list, &anchored(&key)).is_err());
            prop_assert_eq!(lists, RevocationLists::default());
        }

        #[test]
        fn merging_lists_in_any_order_gives_the_same_lists(
            sequences in proptest::collection::vec((0usize..2, 0u64..5, 0u8..3), 1..8),
            order in any::<prop::sample::Index>(),
        ) {
            let keys = [issuer("a"), issuer("b")];
            let mut anchors = Anchors::default();
            for key in &keys { anchors.insert(key.issuer().clone(), key.public_key()); }
            let lists: Vec<_> = sequences.iter().map(|&(who, sequence, n)| {
                let revoked = (0..n).map(|i| Revoked { device: DeviceId(format!("D{i}")), since_ms: NOW, lost: false }).collect();
                keys[who].sign_list(sequence, NOW, revoked)
            }).collect();
            let mut forward = RevocationLists::default();
            for list in &lists { forward.merge(list, &anchors).unwrap(); }
            let mut shuffled = lists.clone();
            shuffled.rotate_left(order.index(lists.len()));
            shuffled.reverse();
            let mut other = RevocationLists::default();
            for list in &shuffled { other.merge(list, &anchors).unwrap(); }
            prop_assert_eq!(&forward, &other);
            for key in &keys {
                let highest = sequences.iter().zip(&lists)
                    .filter(|((who, _, _), _)| keys[*who].issuer() == key.issuer())
                    .map(|((_, sequence, _), _)| *sequence).max();
                prop_assert_eq!(forward.get(key.issuer()).map(|l| l.sequence), highest);
            }
        }
    }
}
