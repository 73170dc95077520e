//! The device's side of trust without a hub: its X25519 bundle key, and
//! the trust store the enrolment fills (the organisation's signing key as
//! anchor, the device's own membership cert, the organisation's revocation
//! list), kept sealed in the vault.

use karte_sync::client::GrantedTrust;
use karte_sync::trust::{
    Anchors, BundleSecretKey, Principal, RevocationLists, SignedCert, SignedRevocationList,
    TrustError, verify_member,
};
use karte_sync::wire::{TrustState, TrustUpdate};
use karte_sync::{SyncError, TransportError};
use karte_types::{DeviceId, Timestamp};
use ring::rand::SystemRandom;

use super::Session;
use crate::ApiError;

const BUNDLE_KEY: &str = "key:bundle";
const ANCHOR: &str = "anchor:";
const CERT: &str = "cert:";
/// Another device's cert that came from a peer or a bundle, not the hub: kept
/// apart so the serial this device reports to its hub counts only the hub's.
const CARRIED_CERT: &str = "cert-carried:";
const LIST: &str = "crl:";

/// The trust store's id of an issuer: `org:<id>` or `team:<id>`.
pub(super) fn issuer_id(issuer: &Principal) -> String {
    match issuer {
        Principal::Org(org) => format!("org:{org}"),
        Principal::Team(team) => format!("team:{team}"),
    }
}

pub(super) fn issuer_of(id: &str) -> Option<Principal> {
    if let Some(org) = id.strip_prefix("org:") {
        return Some(Principal::Org(org.to_owned()));
    }
    id.strip_prefix("team:")
        .map(|team| Principal::Team(karte_sync::trust::TeamId(team.to_owned())))
}

/// The trust store's entry of `device`'s membership cert.
pub(super) fn cert_entry(device: &DeviceId) -> String {
    format!("{CERT}{device}")
}

/// The trust store's entry of another device's cert that a peer or a
/// bundle brought.
pub(super) fn carried_cert_entry(device: &DeviceId) -> String {
    format!("{CARRIED_CERT}{device}")
}

/// The trust store's entry of `issuer`'s revocation list.
pub(super) fn list_entry(issuer: &Principal) -> String {
    format!("{LIST}{}", issuer_id(issuer))
}

/// What the device trusts, read from its vault.
#[derive(Debug, Clone, Default)]
pub struct DeviceTrust {
    pub anchors: Anchors,
    /// The device's own cert, if its hub gave it one.
    pub own_cert: Option<SignedCert>,
    /// Certs of other devices, by device: from the hub, then those that
    /// came from peers or bundles for devices the hub gave none of.
    pub peer_certs: Vec<(DeviceId, SignedCert)>,
    /// The highest serial among the other devices' certs from the hub.
    pub hub_peers_up_to_serial: u64,
    pub lists: RevocationLists,
}

/// The trust store entries of an enrolment grant, once the grant's cert
/// holds under its anchor and list at `now` and names this device with
/// its own keys; a hub that hands out anything else is refused.
pub(super) fn granted_entries(
    org_id: &str,
    granted: &GrantedTrust,
    device: &DeviceId,
    signing_key: &[u8; 32],
    bundle_key: &[u8; 32],
    now: Timestamp,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let issuer = Principal::Org(org_id.to_owned());
    let mut anchors = Anchors::default();
    anchors.insert(issuer.clone(), granted.org_signing_key);
    let mut lists = RevocationLists::default();
    lists.merge(&granted.list, &anchors)?;
    let member = verify_member(&granted.cert, &anchors, &lists, now.millis())?;
    if member.device() != device
        || &member.cert.signing_key != signing_key
        || &member.cert.bundle_key != bundle_key
    {
        return Err(SyncError::from(TransportError::BadAnswer {
            detail: "the membership cert the hub gave names another device or key".to_owned(),
        })
        .into());
    }
    Ok(vec![
        (
            format!("{ANCHOR}{}", issuer_id(&issuer)),
            granted.org_signing_key.to_vec(),
        ),
        (format!("{CERT}{device}"), granted.cert.to_bytes()),
        (
            format!("{LIST}{}", issuer_id(&issuer)),
            granted.list.to_bytes(),
        ),
    ])
}

impl Session {
    /// The device's X25519 key for bundles; made and kept first if there is
    /// none.
    pub(super) fn bundle_key(&mut self) -> Result<BundleSecretKey, ApiError> {
        if let Some(key) = self.held_bundle_key()? {
            return Ok(key);
        }
        let key = BundleSecretKey::generate(&SystemRandom::new())?;
        self.vault
            .put_trust(&[(BUNDLE_KEY.to_owned(), key.as_bytes().to_vec())])?;
        Ok(key)
    }

    /// The device's X25519 key for bundles, if it has one: reading it
    /// writes nothing.
    pub(super) fn held_bundle_key(&self) -> Result<Option<BundleSecretKey>, ApiError> {
        let held = self
            .vault
            .trust_entries()?
            .into_iter()
            .find(|(id, _)| id == BUNDLE_KEY);
        match held {
            Some((_, bytes)) => BundleSecretKey::from_bytes(&bytes)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::from(karte_store::StoreError::Integrity {
                        what: "the bundle key".to_owned(),
                    })
                }),
            None => Ok(None),
        }
    }

    /// What this device trusts: anchors, its own cert, peers' certs and the
    /// newest revocation lists. Lists that no longer verify are left out.
    pub fn device_trust(&self) -> Result<DeviceTrust, ApiError> {
        let entries = self.vault.trust_entries()?;
        let mut trust = DeviceTrust::default();
        for (id, value) in &entries {
            if let Some(issuer) = id.strip_prefix(ANCHOR).and_then(issuer_of) {
                let key = <[u8; 32]>::try_from(value.as_slice()).map_err(|_| {
                    ApiError::from(karte_store::StoreError::Integrity {
                        what: "a trust anchor".to_owned(),
                    })
                })?;
                trust.anchors.insert(issuer, key);
            }
        }
        let me = self.vault.device_id().clone();
        for (id, value) in &entries {
            if let Some(device) = id.strip_prefix(CERT) {
                let cert = SignedCert::from_bytes(value)?;
                if device == me.as_str() {
                    trust.own_cert = Some(cert);
                } else {
                    trust.hub_peers_up_to_serial =
                        trust.hub_peers_up_to_serial.max(cert.open()?.serial);
                    trust.peer_certs.push((DeviceId::from(device), cert));
                }
            } else if id.starts_with(LIST) {
                let list = SignedRevocationList::from_bytes(value)?;
                match trust.lists.merge(&list, &trust.anchors) {
                    Ok(_) | Err(TrustError::UnknownIssuer { .. }) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        for (id, value) in &entries {
            if let Some(device) = id.strip_prefix(CARRIED_CERT)
                && !trust
                    .peer_certs
                    .iter()
                    .any(|(held, _)| held.as_str() == device)
            {
                let cert = SignedCert::from_bytes(value)?;
                trust.peer_certs.push((DeviceId::from(device), cert));
            }
        }
        Ok(trust)
    }

    /// The issuer this device belongs to, by its enrolment.
    pub(super) fn own_issuer(&self) -> Result<Principal, ApiError> {
        let enrolment = self.vault.enrolment()?.ok_or(ApiError::NotEnrolled)?;
        Ok(Principal::Org(enrolment.org_id))
    }

    /// What this device reports of its trust with a sync: its list's
    /// sequence, when its cert ends and its bundle key (made now if a vault
    /// enrolled before bundle keys has none, so its hub signs it a cert).
    pub(super) fn trust_state(&mut self) -> Result<TrustState, ApiError> {
        let bundle_key = self.bundle_key()?.public_key();
        let issuer = self.own_issuer()?;
        let trust = self.device_trust()?;
        let cert_not_after_ms = match &trust.own_cert {
            Some(cert) => Some(cert.open()?.not_after_ms),
            None => None,
        };
        let peers_up_to_serial = trust.hub_peers_up_to_serial;
        Ok(TrustState {
            list_sequence: trust.lists.sequence(&issuer),
            cert_not_after_ms,
            bundle_key,
            peers_up_to_serial,
        })
    }

    /// Keeps what the hub sent: the organisation's signing key if the
    /// device holds none yet (a vault enrolled before the hub signed,
    /// trusting the hub's TLS as at enrolment), a newer list, and a
    /// renewed cert that holds and names this device and its keys. A key
    /// other than the anchor held is refused and nothing is kept.
    pub(super) fn apply_trust(&mut self, update: TrustUpdate) -> Result<(), ApiError> {
        let issuer = self.own_issuer()?;
        let mut trust = self.device_trust()?;
        let mut entries = Vec::new();
        match trust.anchors.get(&issuer) {
            Some(held) if *held == update.org_signing_key => {}
            Some(_) => {
                return Err(SyncError::from(TransportError::BadAnswer {
                    detail: "the hub named another signing key for the organisation than the one this device holds".to_owned(),
                })
                .into());
            }
            None => {
                trust.anchors.insert(issuer.clone(), update.org_signing_key);
                entries.push((
                    format!("{ANCHOR}{}", issuer_id(&issuer)),
                    update.org_signing_key.to_vec(),
                ));
            }
        }
        if let Some(list) = &update.list
            && trust.lists.merge(list, &trust.anchors)?
        {
            entries.push((format!("{LIST}{}", issuer_id(&issuer)), list.to_bytes()));
        }
        if let Some(cert) = &update.cert {
            let device = self.vault.device_id().clone();
            let signing_key = self.device_key(false)?.public_key();
            let bundle_key = self.bundle_key()?.public_key();
            let member = verify_member(cert, &trust.anchors, &trust.lists, self.now().millis())?;
            if member.device() != &device
                || member.cert.signing_key != signing_key
                || member.cert.bundle_key != bundle_key
            {
                return Err(SyncError::from(TransportError::BadAnswer {
                    detail: "the membership cert the hub gave names another device or key"
                        .to_owned(),
                })
                .into());
            }
            entries.push((format!("{CERT}{device}"), cert.to_bytes()));
        }
        entries.extend(self.member_cert_entries(&trust, &update.member_certs, cert_entry));
        if !entries.is_empty() {
            self.vault.put_trust(&entries)?;
        }
        Ok(())
    }
}

impl Session {
    /// The trust entries for other devices' certs that hold now and that
    /// this device does not hold as they are: a cert that does not hold
    /// (revoked since, say) is not kept.
    fn member_cert_entries(
        &self,
        trust: &DeviceTrust,
        certs: &[SignedCert],
        prefix: fn(&DeviceId) -> String,
    ) -> Vec<(String, Vec<u8>)> {
        let me = self.vault.device_id();
        let now = self.now().millis();
        certs
            .iter()
            .filter_map(|cert| {
                let peer = verify_member(cert, &trust.anchors, &trust.lists, now).ok()?;
                // A team's member is kept under its team: a device may be a
                // member of its organisation and of teams, a cert of each.
                if let Principal::Team(team) = peer.principal() {
                    return (peer.device() != me).then(|| {
                        (
                            format!("team-member:{team}:{}", peer.device()),
                            cert.to_bytes(),
                        )
                    });
                }
                let held = trust
                    .peer_certs
                    .iter()
                    .any(|(device, kept)| device == peer.device() && kept == cert);
                (peer.device() != me && !held).then(|| (prefix(peer.device()), cert.to_bytes()))
            })
            .collect()
    }

    /// Keeps other members' certs a peer brought with their changes.
    pub(super) fn keep_member_certs(&mut self, certs: &[SignedCert]) -> Result<(), ApiError> {
        if certs.is_empty() {
            return Ok(());
        }
        let trust = self.device_trust()?;
        let entries = self.member_cert_entries(&trust, certs, carried_cert_entry);
        if !entries.is_empty() {
            self.vault.put_trust(&entries)?;
        }
        Ok(())
    }

    /// Keeps the revocation lists a peer brought that are newer than the
    /// ones held and verify under an anchor held; others are left alone.
    pub(super) fn keep_lists(&mut self, lists: &[SignedRevocationList]) -> Result<(), ApiError> {
        let mut trust = self.device_trust()?;
        let mut entries = Vec::new();
        for list in lists {
            let issuer = list.open()?.issuer;
            if let Ok(true) = trust.lists.merge(list, &trust.anchors) {
                entries.push((format!("{LIST}{}", issuer_id(&issuer)), list.to_bytes()));
            }
        }
        if !entries.is_empty() {
            self.vault.put_trust(&entries)?;
        }
        Ok(())
    }
}
