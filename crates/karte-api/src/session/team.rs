//! Field teams that never met a hub: making one, inviting a device by a
//! code, joining, and what a device keeps of its teams.
//!
//! Everything of a team is in the sealed trust store:
//! `anchor:team:<id>` (the team's public key), `team-name:<id>`,
//! `team-cert:<id>` (this device's cert), `team-member:<id>:<device>`
//! (members' certs, this device's among them), `crl:team:<id>` (the
//! team's newest list) and, on a lead, `team-key:<id>` (the team's
//! PKCS#8) and `team-serial:<id>` (the last serial it signed).
//! `team-active` names the team a device that never enrolled works for:
//! its charts are that team's.
//!
//! Which charts a team's peers get is [`Session::chart_principals`]'s
//! answer, from the chart scopes the vault keeps (see `peer`).

use std::time::Instant;

use karte_peer::{PeerKey, PeerListener, ServedLink};
use karte_store::{AuditAction, AuditEvent};
use karte_sync::pairing::{
    self, EXPORTER_LABEL, Invitation, JoinRequest, Joiner, PairingCode, PairingError, TeamWelcome,
};
use karte_sync::peer::PeerTrust;
use karte_sync::trust::{
    Anchors, CertFields, DeviceRole, IssuerKey, Principal, RevocationLists, SignedCert,
    SignedRevocationList, TEAM_CERT_LIFETIME_MS, TeamId, team_key_fingerprint, verify_member,
};
use karte_types::{DeviceId, PatientId, TeamMember, TeamShown, Timestamp};
use ring::rand::SystemRandom;

use super::Session;
use super::trust::{issuer_id, list_entry};
use crate::{ApiError, Permission};

const TEAM_NAME: &str = "team-name:";
const TEAM_CERT: &str = "team-cert:";
const TEAM_MEMBER: &str = "team-member:";
const TEAM_KEY: &str = "team-key:";
const TEAM_SERIAL: &str = "team-serial:";
const ACTIVE_TEAM: &str = "team-active";
/// The longest team name kept.
const NAME_CHARS: usize = 80;

/// An entry of the trust store: its id and its value.
type TrustEntry = (String, Vec<u8>);

/// A team as this device holds it.
#[derive(Debug, Clone)]
pub(crate) struct HeldTeam {
    pub id: TeamId,
    pub name: String,
    pub key: [u8; 32],
    pub own_cert: SignedCert,
    /// Members' certs, this device's among them.
    pub members: Vec<SignedCert>,
    pub lead: bool,
}

impl HeldTeam {
    pub fn principal(&self) -> Principal {
        Principal::Team(self.id.clone())
    }
}

fn member_entry(team: &TeamId, device: &DeviceId) -> String {
    format!("{TEAM_MEMBER}{team}:{device}")
}

fn integrity(what: &str) -> ApiError {
    ApiError::from(karte_store::StoreError::Integrity {
        what: what.to_owned(),
    })
}

impl Session {
    /// The teams this device belongs to (holds a cert of), by id.
    pub(crate) fn held_teams(&self) -> Result<Vec<HeldTeam>, ApiError> {
        let entries = self.vault.trust_entries()?;
        let value = |id: String| entries.iter().find(|(held, _)| *held == id).map(|(_, v)| v);
        let mut teams = Vec::new();
        for (id, cert) in &entries {
            let Some(team) = id.strip_prefix(TEAM_CERT) else {
                continue;
            };
            let team = TeamId(team.to_owned());
            let principal = Principal::Team(team.clone());
            let key = value(format!("anchor:{}", issuer_id(&principal)))
                .and_then(|key| <[u8; 32]>::try_from(key.as_slice()).ok())
                .ok_or_else(|| integrity("a team's key"))?;
            let name = value(format!("{TEAM_NAME}{team}"))
                .map(|name| String::from_utf8_lossy(name).into_owned())
                .unwrap_or_default();
            let prefix = format!("{TEAM_MEMBER}{team}:");
            let members = entries
                .iter()
                .filter(|(held, _)| held.starts_with(&prefix))
                .map(|(_, cert)| SignedCert::from_bytes(cert))
                .collect::<Result<Vec<_>, _>>()?;
            teams.push(HeldTeam {
                lead: value(format!("{TEAM_KEY}{team}")).is_some(),
                id: team,
                name,
                key,
                own_cert: SignedCert::from_bytes(cert)?,
                members,
            });
        }
        Ok(teams)
    }

    /// The team a device that never enrolled works for, if any.
    pub(crate) fn active_team(&self) -> Result<Option<TeamId>, ApiError> {
        Ok(self
            .vault
            .trust_entries()?
            .into_iter()
            .find(|(id, _)| id == ACTIVE_TEAM)
            .map(|(_, team)| TeamId(String::from_utf8_lossy(&team).into_owned())))
    }

    /// The principal a chart with no recorded scope belongs to: the
    /// organisation of an enrolled device, else the team it works for.
    pub(crate) fn default_principal(&self) -> Result<Option<Principal>, ApiError> {
        if let Some(enrolment) = self.vault.enrolment()? {
            return Ok(Some(Principal::Org(enrolment.org_id)));
        }
        Ok(self.active_team()?.map(Principal::Team))
    }

    /// The principals `chart` belongs to on this device: those recorded,
    /// else the default one.
    pub(crate) fn chart_principals(&self, chart: &PatientId) -> Result<Vec<Principal>, ApiError> {
        match self.vault.chart_scope(chart)? {
            Some(bytes) => Ok(String::from_utf8_lossy(&bytes)
                .lines()
                .filter_map(super::trust::issuer_of)
                .collect()),
            None => Ok(self.default_principal()?.into_iter().collect()),
        }
    }

    /// The scope entry that adds `principal` to `chart`'s principals, if
    /// it is not among them yet. A chart not `held` yet belongs to
    /// `principal` alone (a team's chart received on an enrolled device is
    /// not the organisation's).
    pub(crate) fn chart_scope_with(
        &self,
        chart: &PatientId,
        principal: &Principal,
        held: bool,
    ) -> Result<Option<(PatientId, Vec<u8>)>, ApiError> {
        let mut principals = if held {
            self.chart_principals(chart)?
        } else if self.default_principal()?.as_ref() == Some(principal) {
            // A new chart of the default principal needs no record: an
            // organisation's exchange writes nothing it did not before.
            return Ok(None);
        } else {
            Vec::new()
        };
        if principals.contains(principal) {
            return Ok(None);
        }
        principals.push(principal.clone());
        let lines: Vec<String> = principals.iter().map(issuer_id).collect();
        Ok(Some((chart.clone(), lines.join("\n").into_bytes())))
    }

    /// Records a chart just made on a device that works for a team (it
    /// never enrolled) as that team's, so it stays the team's if the
    /// device later joins another.
    pub(super) fn note_new_chart(&mut self, chart: &PatientId) -> Result<(), ApiError> {
        if self.vault.enrolment()?.is_some() {
            return Ok(());
        }
        if let Some(team) = self.active_team()? {
            let scope = issuer_id(&Principal::Team(team)).into_bytes();
            self.vault
                .set_chart_scopes(&[(chart.clone(), scope)], None)?;
        }
        Ok(())
    }

    /// The peer trust of `team` on this device: the team's anchor among
    /// all held, the lists, this device's team cert and the members'.
    pub(crate) fn team_peer_trust(&self, team: &HeldTeam) -> Result<PeerTrust, ApiError> {
        let trust = self.device_trust()?;
        Ok(PeerTrust {
            anchors: trust.anchors,
            lists: trust.lists,
            own_cert: team.own_cert.clone(),
            member_certs: team.members.clone(),
        })
    }

    /// Makes a team with this device as its lead: a new team key (kept
    /// sealed), this device's cert and an empty list. A vault that never
    /// enrolled makes its device and bundle keys here.
    pub fn team_create(&mut self, name: &str) -> Result<TeamShown, ApiError> {
        self.require(Permission::EnrolDevice)?;
        let name = team_name(name)?;
        let signing_key = self.device_key(true)?.public_key();
        let bundle_key = self.bundle_key()?.public_key();
        let (team_key, pkcs8) = IssuerKey::generate_team(&SystemRandom::new())?;
        let Principal::Team(team) = team_key.issuer().clone() else {
            unreachable!("a team key issues as its team");
        };
        let now = self.now();
        let device = self.vault.device_id().clone();
        let cert = team_key.sign_cert(CertFields {
            serial: 1,
            device: device.clone(),
            role: DeviceRole::TeamLead,
            signing_key,
            bundle_key,
            not_before_ms: now.millis(),
            not_after_ms: now.millis() + TEAM_CERT_LIFETIME_MS,
        });
        let list = team_key.sign_list(1, now.millis(), Vec::new());
        let principal = Principal::Team(team.clone());
        let mut entries = vec![
            (
                format!("anchor:{}", issuer_id(&principal)),
                team_key.public_key().to_vec(),
            ),
            (format!("{TEAM_NAME}{team}"), name.clone().into_bytes()),
            (format!("{TEAM_CERT}{team}"), cert.to_bytes()),
            (member_entry(&team, &device), cert.to_bytes()),
            (list_entry(&principal), list.to_bytes()),
            (format!("{TEAM_KEY}{team}"), pkcs8.to_vec()),
            (format!("{TEAM_SERIAL}{team}"), 1u64.to_be_bytes().to_vec()),
        ];
        if self.active_team()?.is_none() {
            entries.push((ACTIVE_TEAM.to_owned(), team.as_str().as_bytes().to_vec()));
        }
        let event = AuditEvent {
            at: now,
            action: AuditAction::Enrol,
            patient: None,
            detail: format!("team {team} created, this device its lead"),
        };
        self.vault.put_trust_audited(&entries, event)?;
        self.team_show_one(&team)
    }

    /// The teams this device belongs to.
    pub fn team_show(&self) -> Result<Vec<TeamShown>, ApiError> {
        let active = self.active_team()?;
        let mut shown = Vec::new();
        let lists = self.device_trust()?.lists;
        for team in self.held_teams()? {
            shown.push(shown_team(&team, active.as_ref(), &lists)?);
        }
        Ok(shown)
    }

    fn team_show_one(&self, team: &TeamId) -> Result<TeamShown, ApiError> {
        self.team_show()?
            .into_iter()
            .find(|shown| shown.id == team.as_str())
            .ok_or(ApiError::NoTeam {
                team: Some(team.to_string()),
            })
    }

    /// The team this device leads that `team` names (its id, or its name),
    /// or the only one it leads.
    fn led_team(&self, team: Option<&str>) -> Result<HeldTeam, ApiError> {
        let led: Vec<HeldTeam> = self
            .held_teams()?
            .into_iter()
            .filter(|held| held.lead)
            .collect();
        let found = match team {
            Some(typed) => led
                .into_iter()
                .find(|held| held.id.as_str() == typed || held.name == typed),
            None if led.len() == 1 => led.into_iter().next(),
            None => None,
        };
        found.ok_or_else(|| ApiError::NoTeam {
            team: team.map(str::to_owned),
        })
    }

    /// Opens an invitation to the team this device leads (`team`, or the
    /// only one): a new code, valid ten minutes, and a listener on
    /// `address` to serve it with [`Session::team_invite_serve`].
    pub fn team_invite_open(
        &mut self,
        team: Option<&str>,
        address: &str,
    ) -> Result<(TeamId, Invitation, PeerListener), ApiError> {
        self.require(Permission::EnrolDevice)?;
        let held = self.led_team(team)?;
        let code = PairingCode::generate(&SystemRandom::new())?;
        let key = self.pairing_key()?;
        let listener = PeerListener::bind(address, &key)?;
        Ok((
            held.id,
            Invitation::new(code, self.now().millis()),
            listener,
        ))
    }

    /// Serves `invitation` on `listener` until a device joined (its id is
    /// answered), the code ran out ([`PairingError::CodeExpired`]) or
    /// failed three times ([`PairingError::Failed`]). `attempt` hears of
    /// each failed attempt.
    pub fn team_invite_serve(
        &mut self,
        team: &TeamId,
        mut invitation: Invitation,
        listener: &PeerListener,
        mut attempt: impl FnMut(&PairingError),
    ) -> Result<DeviceId, ApiError> {
        loop {
            self.team_invitation_open(&invitation)?;
            let left = (invitation.expires_at_ms() - self.now().millis()).clamp(1, 1000);
            let Some(link) =
                listener.accept_within(std::time::Duration::from_millis(left as u64))?
            else {
                continue;
            };
            match self.team_invite_attempt(team, &mut invitation, link) {
                Ok(joined) => return Ok(joined),
                Err(ApiError::Pairing(error)) => attempt(&error),
                Err(ApiError::Peer(error)) => attempt(&PairingError::Link(error)),
                Err(other) => return Err(other),
            }
        }
    }

    /// Whether `invitation` may still be tried: else why not
    /// (`pairing_failed` after three failures, `pairing_code_expired` once
    /// its time ran out).
    pub fn team_invitation_open(&self, invitation: &Invitation) -> Result<(), ApiError> {
        if invitation.failed_attempts() >= pairing::MAX_FAILED_ATTEMPTS {
            return Err(PairingError::Failed.into());
        }
        invitation.usable(self.now().millis())?;
        Ok(())
    }

    /// One attempt to join by `invitation`, by the device that dialled on
    /// `link`: its id once it joined, else the error (a wrong code counted
    /// on the invitation; a device that went away before it proved
    /// anything learnt nothing and is not counted).
    pub fn team_invite_attempt(
        &mut self,
        team: &TeamId,
        invitation: &mut Invitation,
        mut link: ServedLink,
    ) -> Result<DeviceId, ApiError> {
        let code = invitation.usable(self.now().millis())?.clone();
        let own_key = self.pairing_key()?.public_key();
        link.set_deadline(Some(Instant::now() + pairing_limit()));
        let exporter = link.exporter(EXPORTER_LABEL)?;
        let held = self.led_team(Some(team.as_str()))?;
        let mut issued = None;
        let outcome = {
            let mut welcome = |joiner: &Joiner| {
                let (welcome, entries) = self.welcome(&held, joiner)?;
                issued = Some(entries);
                Ok(welcome)
            };
            pairing::lead(&mut link, &exporter, &own_key, &code, &mut welcome)
        };
        match outcome {
            Ok(joiner) => {
                let entries = issued.expect("a joiner is welcomed with its cert");
                let event = AuditEvent {
                    at: self.now(),
                    action: AuditAction::Enrol,
                    patient: None,
                    detail: format!(
                        "device {} joined team {} by its code",
                        joiner.request.device, held.id
                    ),
                };
                self.vault.put_trust_audited(&entries, event)?;
                Ok(joiner.request.device)
            }
            Err(error) => {
                if error == PairingError::Failed {
                    invitation.note_failure();
                }
                Err(error.into())
            }
        }
    }

    /// The welcome for `joiner` and the trust entries that keep its cert
    /// and the serial it took, written once the welcome is sent.
    fn welcome(
        &self,
        team: &HeldTeam,
        joiner: &Joiner,
    ) -> Result<(TeamWelcome, Vec<TrustEntry>), PairingError> {
        let entries = self
            .vault
            .trust_entries()
            .map_err(|_| PairingError::Failed)?;
        let value = |id: String| entries.iter().find(|(held, _)| *held == id).map(|(_, v)| v);
        let pkcs8 = value(format!("{TEAM_KEY}{}", team.id)).ok_or(PairingError::Failed)?;
        let key = IssuerKey::team_from_pkcs8(pkcs8)?;
        let serial = value(format!("{TEAM_SERIAL}{}", team.id))
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
            .map_or(1, u64::from_be_bytes)
            + 1;
        let list = value(list_entry(&team.principal()))
            .map(|bytes| SignedRevocationList::from_bytes(bytes))
            .transpose()?
            .ok_or(PairingError::Failed)?;
        let now = self.now().millis();
        let cert = key.sign_cert(CertFields {
            serial,
            device: joiner.request.device.clone(),
            role: DeviceRole::Member,
            signing_key: joiner.signing_key,
            bundle_key: joiner.request.bundle_key,
            not_before_ms: now,
            not_after_ms: now + TEAM_CERT_LIFETIME_MS,
        });
        let welcome = TeamWelcome {
            team_key: team.key,
            team_name: team.name.clone(),
            cert: cert.clone(),
            member_certs: team.members.clone(),
            list,
        };
        let entries = vec![
            (
                member_entry(&team.id, &joiner.request.device),
                cert.to_bytes(),
            ),
            (
                format!("{TEAM_SERIAL}{}", team.id),
                serial.to_be_bytes().to_vec(),
            ),
        ];
        Ok((welcome, entries))
    }

    /// Revokes `device`'s membership of the team this device leads
    /// (`team`, or the only one): the team's list gets a higher sequence
    /// and names it (`lost`: its changes are refused whatever their time),
    /// signed by the team key. Peers refuse it once they hear of the list
    /// from this device or any member that did.
    pub fn team_revoke(
        &mut self,
        team: &Option<String>,
        device: &str,
        lost: &bool,
    ) -> Result<TeamShown, ApiError> {
        self.require(Permission::EnrolDevice)?;
        let lost = *lost;
        let held = self.led_team(team.as_deref())?;
        let device = DeviceId::from(device.trim());
        let is_member = held
            .members
            .iter()
            .filter_map(|cert| cert.open().ok())
            .any(|cert| cert.device == device);
        if !is_member || &device == self.vault.device_id() {
            return Err(ApiError::Invalid(karte_types::ValidationErrors(vec![
                karte_types::ValidationError::new(
                    "device",
                    "not_a_member",
                    "name another member of the team by its device id (see `karte team show`)",
                ),
            ])));
        }
        let entries = self.vault.trust_entries()?;
        let value = |id: String| entries.iter().find(|(held, _)| *held == id).map(|(_, v)| v);
        let list_id = list_entry(&held.principal());
        let list = value(list_id.clone())
            .map(|bytes| SignedRevocationList::from_bytes(bytes))
            .transpose()?
            .ok_or_else(|| integrity("a team's revocation list"))?
            .open()?;
        let pkcs8 =
            value(format!("{TEAM_KEY}{}", held.id)).ok_or_else(|| integrity("a team key"))?;
        let key = IssuerKey::team_from_pkcs8(pkcs8)?;
        let now = self.now();
        let mut revoked = list.revoked;
        revoked.retain(|entry| entry.device != device);
        revoked.push(karte_sync::trust::Revoked {
            device: device.clone(),
            since_ms: now.millis(),
            lost,
        });
        let signed = key.sign_list(list.sequence + 1, now.millis(), revoked);
        let event = AuditEvent {
            at: now,
            action: AuditAction::Enrol,
            patient: None,
            detail: format!(
                "device {device} revoked from team {}{}",
                held.id,
                if lost { " (lost)" } else { "" }
            ),
        };
        self.vault
            .put_trust_audited(&[(list_id, signed.to_bytes())], event)?;
        self.team_show_one(&held.id)
    }

    /// Joins the team whose lead's device listens at `address`, with the
    /// code its screen shows. Nothing is kept unless the code was right
    /// and the team's cert for this device holds.
    pub fn team_join(&mut self, address: &str, code: &str) -> Result<TeamShown, ApiError> {
        self.require(Permission::EnrolDevice)?;
        let code = PairingCode::parse(code)?;
        self.device_key(true)?;
        let bundle_key = self.bundle_key()?.public_key();
        let key = self.pairing_key()?;
        let own_key = key.public_key();
        let mut link = karte_peer::dial(address, &key)?;
        link.set_deadline(Some(Instant::now() + pairing_limit()));
        let exporter = link.exporter(EXPORTER_LABEL)?;
        let device = self.vault.device_id().clone();
        let request = JoinRequest {
            device: device.clone(),
            bundle_key,
        };
        let welcome = pairing::join(&mut link, &exporter, &own_key, &code, request)?;
        let team = welcome.team();
        let principal = Principal::Team(team.clone());
        let mut anchors = Anchors::default();
        anchors.insert(principal.clone(), welcome.team_key);
        // A list held from an earlier membership of this team may be newer
        // than the one the lead sent: the newest wins, as with any list a
        // peer brings, so a member revoked since is not admitted again.
        let mut lists = self.device_trust()?.lists;
        let newer_list = lists.merge(&welcome.list, &anchors)?;
        let now = self.now();
        verify_member(&welcome.cert, &anchors, &lists, now.millis())?;
        let mut entries = vec![
            (
                format!("anchor:{}", issuer_id(&principal)),
                welcome.team_key.to_vec(),
            ),
            (
                format!("{TEAM_NAME}{team}"),
                team_name(&welcome.team_name)
                    .unwrap_or_default()
                    .into_bytes(),
            ),
            (format!("{TEAM_CERT}{team}"), welcome.cert.to_bytes()),
            (member_entry(&team, &device), welcome.cert.to_bytes()),
        ];
        if newer_list {
            entries.push((list_entry(&principal), welcome.list.to_bytes()));
        }
        for cert in &welcome.member_certs {
            if let Ok(member) = verify_member(cert, &anchors, &lists, now.millis())
                && member.device() != &device
            {
                entries.push((member_entry(&team, member.device()), cert.to_bytes()));
            }
        }
        if self.active_team()?.is_none() {
            entries.push((ACTIVE_TEAM.to_owned(), team.as_str().as_bytes().to_vec()));
        }
        let event = AuditEvent {
            at: now,
            action: AuditAction::Enrol,
            patient: None,
            detail: format!("joined team {team} by its lead's code"),
        };
        self.vault.put_trust_audited(&entries, event)?;
        self.team_show_one(&team)
    }

    /// The device key as the pairing's TLS presents it (made if a vault
    /// that never enrolled has none).
    fn pairing_key(&mut self) -> Result<PeerKey, ApiError> {
        self.device_key(true)?;
        let pkcs8 = self.vault.device_key()?.ok_or(ApiError::NotEnrolled)?;
        Ok(PeerKey::from_pkcs8(&pkcs8)?)
    }
}

/// How long one pairing may take once a device dialled.
fn pairing_limit() -> std::time::Duration {
    std::time::Duration::from_secs(60)
}

/// A team's name as typed: trimmed, not empty, at most 80 characters.
fn team_name(typed: &str) -> Result<String, ApiError> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > NAME_CHARS {
        return Err(ApiError::Invalid(karte_types::ValidationErrors(vec![
            karte_types::ValidationError::new(
                "name",
                "team_name",
                "give the team a name of 1 to 80 characters (例: DMAT 岩手1)",
            ),
        ])));
    }
    Ok(name.to_owned())
}

fn shown_team(
    team: &HeldTeam,
    active: Option<&TeamId>,
    lists: &RevocationLists,
) -> Result<TeamShown, ApiError> {
    let own = team.own_cert.open()?;
    let mut members: Vec<TeamMember> = team
        .members
        .iter()
        .filter_map(|cert| cert.open().ok())
        .map(|cert| TeamMember {
            revoked: lists.revocation(&cert.issuer, &cert.device).is_some(),
            device: cert.device.to_string(),
            lead: cert.role == DeviceRole::TeamLead,
            valid_until: Timestamp(cert.not_after_ms),
        })
        .collect();
    members.sort_by(|a, b| a.device.cmp(&b.device));
    Ok(TeamShown {
        id: team.id.to_string(),
        name: team.name.clone(),
        fingerprint: team_key_fingerprint(&team.key),
        lead: team.lead,
        active: active == Some(&team.id),
        valid_until: Timestamp(own.not_after_ms),
        members,
    })
}
