//! Sync with another device of the organisation on the local network,
//! without the hub: the vault as the peer session's store
//! ([`karte_sync::peer::PeerStore`]), and the commands that dial a device
//! or serve one over `karte-peer`'s TLS link.
//!
//! What is sent: per chart, every change the other device lacks, with its
//! author's signature (this device's own signed as they go; others' as
//! kept in the change log when they arrived). A chart holding a change of
//! another device whose signature this vault does not keep (it came inside
//! a chart the hub sent whole) is not offered; the hub brings it instead.
//! What is received is checked like a hub page (signatures against the
//! authors' membership certs, then `Chart::check_received`), and a chart
//! that fails is refused whole, nothing of it kept; the rest becomes
//! durable in one vault transaction, leaving the hub's cursor as it was.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use karte_peer::{PeerKey, PeerListener, ServedLink};
use karte_record::ChangeHash;
use karte_store::{AuditAction, AuditEvent};
use karte_sync::peer::{PeerError, PeerStore, PeerSummary, PeerTrust, RelayRefusal, ScreenedHello};
use karte_sync::trust::{Principal, SignedCert, SignedRevocationList};
use karte_sync::wire::{ChangeSignature, DocHeads, DocUpdate, Payload};
use karte_sync::{DeviceKey, sign_change_hash};
use karte_types::{DeviceId, NearbyExchange, NearbyRefusal, PatientId, Timestamp};

use super::Session;
use crate::ApiError;

/// How long a peer session may take, served (from the dialler's hello to
/// its end) or dialled (from the handshake). It holds the session (and, in
/// the app, its state) all that time, so a device that stalls
/// mid-exchange is cut off here: every other call waits at most this
/// long. A first exchange of a few hundred charts on a local network
/// takes seconds.
pub const PEER_SESSION_LIMIT: Duration = Duration::from_secs(120);

impl Session {
    /// The device's key as the peer link presents it.
    fn peer_key(&mut self) -> Result<PeerKey, ApiError> {
        if self.vault.enrolment()?.is_none() && self.held_teams()?.is_empty() {
            return Err(ApiError::NotEnrolled);
        }
        let pkcs8 = self.vault.device_key()?.ok_or(ApiError::NotEnrolled)?;
        Ok(PeerKey::from_pkcs8(&pkcs8)?)
    }

    /// Exchanges charts with the device listening at `address`
    /// (`host:port`). `progress` is told each step.
    pub fn peer_sync(
        &mut self,
        address: &str,
        progress: impl FnMut(&str),
    ) -> Result<PeerSummary, ApiError> {
        self.peer_sync_for(address, None, progress)
    }

    /// Like [`Session::peer_sync`], as a member of `team` (its id or name)
    /// rather than the device's default issuer (its organisation if it
    /// enrolled): the session carries that team's charts only.
    pub fn peer_sync_for(
        &mut self,
        address: &str,
        team: Option<&str>,
        mut progress: impl FnMut(&str),
    ) -> Result<PeerSummary, ApiError> {
        let key = self.peer_key()?;
        let scope = match team {
            Some(typed) => Some(
                self.held_teams()?
                    .into_iter()
                    .find(|held| held.id.as_str() == typed || held.name == typed)
                    .map(|held| held.principal())
                    .ok_or_else(|| ApiError::NoTeam {
                        team: Some(typed.to_owned()),
                    })?,
            ),
            None => None,
        };
        let mut link = karte_peer::dial(address, &key)?;
        link.set_deadline(Some(Instant::now() + PEER_SESSION_LIMIT));
        let mut store = self.peer_store()?;
        if scope.is_some() {
            store.scope = scope;
        }
        let summary = karte_sync::peer::dial(&mut link, &mut store, &mut progress)?;
        self.record_peer_session(&summary, "dialled")?;
        Ok(summary)
    }

    /// Listens for devices that dial this one at `address` (`host:port`;
    /// port 0 picks a free one).
    pub fn peer_listen(&mut self, address: &str) -> Result<PeerListener, ApiError> {
        let key = self.peer_key()?;
        Ok(PeerListener::bind(address, &key)?)
    }

    /// Serves the next device that dials `listener`, to the session's end.
    pub fn peer_serve_one(
        &mut self,
        listener: &PeerListener,
        mut progress: impl FnMut(&str),
    ) -> Result<PeerSummary, ApiError> {
        let link = listener.accept()?;
        self.peer_serve(link, &mut progress)
    }

    /// Like [`Session::peer_serve_one`], but gives up after `wait` with no
    /// device dialling (`None`).
    pub fn peer_serve_within(
        &mut self,
        listener: &PeerListener,
        wait: std::time::Duration,
        mut progress: impl FnMut(&str),
    ) -> Result<Option<PeerSummary>, ApiError> {
        match listener.accept_within(wait)? {
            Some(link) => self.peer_serve(link, &mut progress).map(Some),
            None => Ok(None),
        }
    }

    /// Serves the device that dialled on `link`, to the session's end:
    /// its hello first (within the link's hello deadline), then the rest
    /// within [`PEER_SESSION_LIMIT`].
    pub fn peer_serve(
        &mut self,
        mut link: ServedLink,
        mut progress: impl FnMut(&str),
    ) -> Result<PeerSummary, ApiError> {
        let trusts = self.peer_trusts()?;
        if trusts.is_empty() {
            // No membership to check a hello against: the session reads
            // the hello and tells the dialler so.
            let mut store = self.peer_store()?;
            return karte_sync::peer::serve(&mut link, &mut store, &mut progress);
        }
        let screened = karte_sync::peer::screen_hello_among(&mut link, &trusts, self.now().0)?;
        self.peer_serve_screened(link, screened, progress)
    }

    /// Serves the device whose hello was read and checked on `link`
    /// ([`karte_sync::peer::screen_hello`]), to the session's end or
    /// [`PEER_SESSION_LIMIT`] from now, whichever comes first.
    pub fn peer_serve_screened(
        &mut self,
        mut link: ServedLink,
        screened: ScreenedHello,
        mut progress: impl FnMut(&str),
    ) -> Result<PeerSummary, ApiError> {
        link.set_deadline(Some(Instant::now() + PEER_SESSION_LIMIT));
        let mut store = self.peer_store()?;
        let summary =
            karte_sync::peer::serve_screened(&mut link, &mut store, screened, &mut progress)?;
        self.record_peer_session(&summary, "served")?;
        Ok(summary)
    }

    /// This device's trust as a peer session uses it: the anchors, the
    /// revocation lists, its own membership cert and the members' certs it
    /// holds; [`PeerError::NoMembership`] without its own cert.
    ///
    /// The cert is of the device's organisation if it enrolled, else of the
    /// team it works for (a device that never enrolled).
    pub fn peer_trust(&self) -> Result<PeerTrust, ApiError> {
        self.peer_trusts()?
            .into_iter()
            .next()
            .ok_or_else(|| PeerError::NoMembership.into())
    }

    /// This device's trust as a member of each issuer it belongs to: its
    /// organisation first, then the team it works for, then its other
    /// teams.
    pub fn peer_trusts(&self) -> Result<Vec<PeerTrust>, ApiError> {
        let trust = self.device_trust()?;
        let mut trusts = Vec::new();
        if let Some(own_cert) = trust.own_cert.clone() {
            trusts.push(PeerTrust {
                anchors: trust.anchors.clone(),
                lists: trust.lists.clone(),
                own_cert,
                member_certs: trust.peer_certs.into_iter().map(|(_, cert)| cert).collect(),
            });
        }
        let active = self.active_team()?;
        let mut teams = self.held_teams()?;
        teams.sort_by_key(|team| Some(&team.id) != active.as_ref());
        for team in &teams {
            trusts.push(self.team_peer_trust(team)?);
        }
        Ok(trusts)
    }

    /// The trust of `issuer` on this device, if it belongs to it.
    fn peer_trust_of(&self, issuer: &Principal) -> Result<Option<PeerTrust>, ApiError> {
        Ok(self.peer_trusts()?.into_iter().find(|trust| {
            trust.own_cert.open().ok().map(|cert| cert.issuer).as_ref() == Some(issuer)
        }))
    }

    /// The tags a listening device of this organisation advertises on the
    /// day before today, today and tomorrow (UTC): clocks of devices drift
    /// and days turn at different moments. Today's is the second.
    pub fn peer_group_tags(&self) -> Result<Vec<String>, ApiError> {
        let today = advert_day(self.now());
        let key = self.peer_group_key()?;
        Ok((today - 1..=today + 1)
            .map(|day| karte_sync::peer::group_tag(&key, day))
            .collect())
    }

    /// The tag a listening device of this organisation advertises on the
    /// UTC day `day` (days since 1970-01-01).
    pub fn peer_group_tag(&self, day: i64) -> Result<String, ApiError> {
        Ok(karte_sync::peer::group_tag(&self.peer_group_key()?, day))
    }

    /// The key the group tags are made with: the organisation's, or for a
    /// device that never enrolled, the key of the team it works for.
    fn peer_group_key(&self) -> Result<[u8; 32], ApiError> {
        let issuer = self.default_principal()?.ok_or(ApiError::NotEnrolled)?;
        let trust = self.device_trust()?;
        let key = trust.anchors.get(&issuer).ok_or(PeerError::NoMembership)?;
        Ok(*key)
    }

    fn peer_store(&mut self) -> Result<PeerVault<'_>, ApiError> {
        let key = self.device_key(false)?;
        let device = self.vault.device_id().clone();
        let scope = match self.peer_trust() {
            Ok(trust) => Some(trust.own_cert.open()?.issuer),
            Err(_) => None,
        };
        Ok(PeerVault {
            session: self,
            key,
            device,
            scope,
        })
    }

    /// The last exchange with each device, newest first.
    pub fn peer_exchanges(&self) -> Result<Vec<NearbyExchange>, ApiError> {
        let kept = self.vault.peer_exchanges()?;
        // Sealed by this vault, so a value that does not parse was written
        // by another version: forgotten, not fatal.
        let mut exchanges: Vec<NearbyExchange> = kept
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default();
        exchanges.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.device.cmp(&b.device)));
        Ok(exchanges)
    }

    /// Keeps the session as the last exchange with its device, and one
    /// audit entry if it moved anything (with whom, how much each way), in
    /// one write.
    fn record_peer_session(&mut self, summary: &PeerSummary, how: &str) -> Result<(), ApiError> {
        let peer = summary
            .peer
            .as_ref()
            .map_or_else(|| "?".to_owned(), ToString::to_string);
        let moved =
            summary.sent_changes + summary.received_changes > 0 || !summary.refused.is_empty();
        let event = moved.then(|| AuditEvent {
            at: self.now(),
            action: AuditAction::Sync,
            patient: None,
            detail: format!(
                "peer sync ({how}) with device {peer}: sent {} changes of {} charts, received {} changes of {} charts, refused {} charts",
                summary.sent_changes,
                summary.sent_charts,
                summary.received_changes,
                summary.received_charts,
                summary.refused.len()
            ),
        });
        let exchange = nearby_exchange(summary, self.now(), how == "dialled");
        let mut exchanges = self.peer_exchanges()?;
        exchanges.retain(|kept| kept.device != exchange.device);
        exchanges.insert(0, exchange);
        let json = serde_json::to_vec(&exchanges).expect("exchanges always serialise");
        Ok(self.vault.record_peer_exchanges(&json, event)?)
    }
}

/// A session's summary as the app keeps and shows it.
pub(crate) fn nearby_exchange(
    summary: &PeerSummary,
    at: Timestamp,
    dialled: bool,
) -> NearbyExchange {
    let refusals = |list: &[RelayRefusal]| {
        list.iter()
            .map(|refusal| NearbyRefusal {
                chart: refusal.doc.to_string(),
                code: refusal.code.clone(),
            })
            .collect()
    };
    NearbyExchange {
        device: summary
            .peer
            .as_ref()
            .map_or_else(|| "?".to_owned(), ToString::to_string),
        at,
        dialled,
        sent_changes: summary.sent_changes as u64,
        sent_charts: summary.sent_charts as u64,
        received_changes: summary.received_changes as u64,
        received_charts: summary.received_charts as u64,
        refused: refusals(&summary.refused),
        refused_by_peer: refusals(&summary.refused_by_peer),
        clock_difference_minutes: summary.clock_difference_ms / 60_000,
    }
}

/// The UTC day (days since 1970-01-01) of `at`.
fn advert_day(at: Timestamp) -> i64 {
    at.0.div_euclid(24 * 60 * 60 * 1000)
}

/// Which day's tag a listening device advertises. The tag changes at each
/// UTC midnight and a browser recognises yesterday's, today's and
/// tomorrow's only, so a device listening for days must advertise anew
/// when the day turns.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AdvertisedDay(Option<i64>);

impl AdvertisedDay {
    /// The day to advertise at `now` if the advert up (if any) is for
    /// another day, and remembers it; `None` while the advert stands.
    pub fn turn(&mut self, now: Timestamp) -> Option<i64> {
        let today = advert_day(now);
        if self.0 == Some(today) {
            return None;
        }
        self.0 = Some(today);
        Some(today)
    }
}

/// The vault as a peer session's store.
struct PeerVault<'s> {
    session: &'s mut Session,
    key: DeviceKey,
    device: DeviceId,
    /// The issuer the session runs under: only its charts are offered,
    /// and only its charts (or new ones) taken.
    scope: Option<Principal>,
}

impl PeerVault<'_> {
    /// The charts this device offers and reads heads of: those of the
    /// session's issuer, but those in quarantine.
    fn charts(&self) -> Result<Vec<PatientId>, ApiError> {
        let quarantined: BTreeSet<PatientId> =
            self.session.vault.quarantined_ids()?.into_iter().collect();
        let mut ids = self.session.vault.document_ids()?;
        ids.retain(|id| !quarantined.contains(id));
        let mut charts = Vec::with_capacity(ids.len());
        for id in ids {
            if self.in_scope(&id)? {
                charts.push(id);
            }
        }
        Ok(charts)
    }

    /// Whether `chart` belongs to the session's issuer on this device.
    fn in_scope(&self, chart: &PatientId) -> Result<bool, ApiError> {
        let Some(scope) = &self.scope else {
            return Ok(false);
        };
        Ok(self.session.chart_principals(chart)?.contains(scope))
    }

    /// The changes of `doc` a holder of `heads` lacks, each with its
    /// author's signature; `None` if one has no signature this vault keeps.
    fn update_for(
        &mut self,
        doc: &PatientId,
        heads: &[ChangeHash],
    ) -> Result<Option<DocUpdate>, ApiError> {
        let device = self.device.clone();
        let chart = &self.session.load(doc)?.chart;
        // Their heads of changes this vault has not received would make
        // Automerge's walk stop short: only the known ones count.
        let changes = chart.changes_since(&device, &chart.known(heads));
        if changes.is_empty() {
            return Ok(None);
        }
        let kept = self.session.kept_signatures(doc)?;
        let mut bytes = Vec::with_capacity(changes.len());
        let mut signatures = Vec::with_capacity(changes.len());
        for change in changes {
            let signature = if change.own {
                ChangeSignature {
                    hash: change.hash.0,
                    device: device.clone(),
                    signature: sign_change_hash(&self.key, &change.hash.0),
                }
            } else {
                match kept.get(&change.hash.0) {
                    Some(signature) => signature.clone(),
                    None => return Ok(None),
                }
            };
            bytes.push(change.bytes);
            signatures.push(signature);
        }
        Ok(Some(DocUpdate {
            doc: doc.clone(),
            payload: Payload::Changes(bytes),
            signatures,
            digest: None,
        }))
    }

    /// Whether `update` passes the chart checks against the chart held.
    fn check(&mut self, update: &DocUpdate, held: bool) -> Result<(), ApiError> {
        let Payload::Changes(changes) = &update.payload else {
            return Err(PeerError::Protocol {
                detail: "a chart sent whole, which peers do not send".to_owned(),
            }
            .into());
        };
        let bytes = changes.concat();
        let now = self.session.now();
        self.session.check_update(update, held, &bytes, now)
    }
}

impl PeerStore for PeerVault<'_> {
    type Error = ApiError;

    fn trust(&mut self) -> Result<PeerTrust, ApiError> {
        match &self.scope {
            Some(scope) => self
                .session
                .peer_trust_of(scope)?
                .ok_or_else(|| PeerError::NoMembership.into()),
            None => self.session.peer_trust(),
        }
    }

    fn trust_for(&mut self, issuer: &Principal) -> Result<Option<PeerTrust>, ApiError> {
        let trust = self.session.peer_trust_of(issuer)?;
        if trust.is_some() {
            self.scope = Some(issuer.clone());
        }
        Ok(trust)
    }

    fn now_ms(&mut self) -> i64 {
        self.session.now().0
    }

    fn keep_lists(&mut self, lists: &[SignedRevocationList]) -> Result<(), ApiError> {
        self.session.keep_lists(lists)
    }

    fn keep_certs(&mut self, certs: &[SignedCert]) -> Result<(), ApiError> {
        self.session.keep_member_certs(certs)
    }

    /// Per chart, its heads and the heads the hub acknowledged (their
    /// ancestors): a peer that has not received this device's latest
    /// changes still knows what both got from the hub, and sends only
    /// what came after it.
    fn heads(&mut self) -> Result<Vec<DocHeads>, ApiError> {
        let mut all = Vec::new();
        for doc in self.charts()? {
            let hub_heads = self.session.vault.document_sync_state(&doc)?.hub_heads;
            let mut heads: Vec<[u8; 32]> = self
                .session
                .load(&doc)?
                .chart
                .heads()
                .into_iter()
                .map(|head| head.0)
                .collect();
            for hub_head in hub_heads {
                if !heads.contains(&hub_head) {
                    heads.push(hub_head);
                }
            }
            all.push(DocHeads { doc, heads });
        }
        Ok(all)
    }

    fn updates_for(&mut self, theirs: &[DocHeads]) -> Result<Vec<DocUpdate>, ApiError> {
        let theirs: HashMap<&PatientId, Vec<ChangeHash>> = theirs
            .iter()
            .map(|held| {
                (
                    &held.doc,
                    held.heads.iter().map(|h| ChangeHash(*h)).collect(),
                )
            })
            .collect();
        let mut updates = Vec::new();
        for doc in self.charts()? {
            let heads = theirs.get(&doc).cloned().unwrap_or_default();
            if let Some(update) = self.update_for(&doc, &heads)? {
                updates.push(update);
            }
        }
        Ok(updates)
    }

    fn receive(
        &mut self,
        _from: &DeviceId,
        updates: Vec<DocUpdate>,
    ) -> Result<Vec<RelayRefusal>, ApiError> {
        let held: BTreeSet<PatientId> = self.session.vault.document_ids()?.into_iter().collect();
        let mut refused = Vec::new();
        let mut passed = Vec::with_capacity(updates.len());
        let mut scopes = Vec::new();
        for update in updates {
            // A chart this device holds for another issuer only is not the
            // session's to change: refused whole.
            if held.contains(&update.doc) && !self.in_scope(&update.doc)? {
                refused.push(RelayRefusal {
                    doc: update.doc,
                    code: karte_types::ErrorCode::NotPermitted.as_str().to_owned(),
                });
                continue;
            }
            if let Some(scope) = &self.scope
                && let Some(entry) =
                    self.session
                        .chart_scope_with(&update.doc, scope, held.contains(&update.doc))?
            {
                scopes.push(entry);
            }
            match self.check(&update, held.contains(&update.doc)) {
                Ok(()) => passed.push(update),
                Err(error @ (ApiError::Record(_) | ApiError::Peer(_) | ApiError::Sync(_))) => {
                    refused.push(RelayRefusal {
                        doc: update.doc,
                        code: error.code().as_str().to_owned(),
                    })
                }
                Err(other) => return Err(other),
            }
        }
        if !passed.is_empty() {
            // The charts' issuer is recorded before they are kept: a crash
            // between leaves a scope of a chart not held, never a team's
            // chart that would travel as the organisation's.
            scopes.retain(|(doc, _)| passed.iter().any(|update| &update.doc == doc));
            if !scopes.is_empty() {
                self.session.vault.set_chart_scopes(&scopes, None)?;
            }
            let applied = self.session.apply_from_peer(passed)?;
            for note in applied.quarantined {
                refused.push(RelayRefusal {
                    doc: note.doc,
                    code: note.reason,
                });
            }
        }
        Ok(refused)
    }
}

impl From<PeerError> for ApiError {
    fn from(error: PeerError) -> ApiError {
        ApiError::Peer(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    #[test]
    fn a_listening_device_advertises_anew_when_the_utc_day_turns() {
        // 2026-12-07T23:59:59.999Z, then its midnight and the next.
        let day = 20_794;
        let last_ms = Timestamp((day + 1) * DAY - 1);
        let mut advertised = AdvertisedDay::default();
        assert_eq!(advertised.turn(Timestamp(day * DAY + 5)), Some(day));
        assert_eq!(advertised.turn(last_ms), None, "the same day");
        assert_eq!(advertised.turn(Timestamp((day + 1) * DAY)), Some(day + 1));
        assert_eq!(advertised.turn(Timestamp((day + 1) * DAY + 1)), None);
        // Two midnights later, with no look in between: today's tag, not
        // one two days old that browsers no longer recognise.
        assert_eq!(
            advertised.turn(Timestamp((day + 3) * DAY + 7)),
            Some(day + 3)
        );
        // A clock set back a day is a turn too.
        assert_eq!(advertised.turn(Timestamp((day + 2) * DAY)), Some(day + 2));
    }

    #[test]
    fn days_before_1970_count_down_not_toward_zero() {
        assert_eq!(advert_day(Timestamp(-1)), -1);
        assert_eq!(advert_day(Timestamp(0)), 0);
    }
}
