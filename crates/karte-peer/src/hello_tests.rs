//! The hello over real TLS on loopback: who is admitted, who is refused
//! with which code, and that a refused device is answered no chart byte.

use karte_sync::peer::{PeerError, PeerStore, PeerSummary, PeerTrust, RelayRefusal, dial, serve};
use karte_sync::trust::{
    Anchors, CertFields, DeviceRole, IssuerKey, Principal, RevocationLists, Revoked, SignedCert,
    SignedRevocationList,
};
use karte_sync::wire::{DocHeads, DocUpdate};
use karte_types::{DeviceId, PatientId};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::{PeerKey, PeerListener};

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 24 * 60 * 60 * 1000;

/// A store with no charts that counts how often it was asked for any.
struct Empty {
    trust: PeerTrust,
    asked_for_charts: usize,
}

impl PeerStore for Empty {
    type Error = PeerError;

    fn trust(&mut self) -> Result<PeerTrust, PeerError> {
        Ok(self.trust.clone())
    }

    fn now_ms(&mut self) -> i64 {
        NOW
    }

    fn keep_lists(&mut self, _lists: &[SignedRevocationList]) -> Result<(), PeerError> {
        Ok(())
    }

    fn keep_certs(&mut self, _certs: &[SignedCert]) -> Result<(), PeerError> {
        Ok(())
    }

    fn heads(&mut self) -> Result<Vec<DocHeads>, PeerError> {
        self.asked_for_charts += 1;
        Ok(vec![DocHeads {
            doc: PatientId::from("P1"),
            heads: vec![[7; 32]],
        }])
    }

    fn updates_for(&mut self, _theirs: &[DocHeads]) -> Result<Vec<DocUpdate>, PeerError> {
        self.asked_for_charts += 1;
        Ok(Vec::new())
    }

    fn receive(
        &mut self,
        _from: &DeviceId,
        _updates: Vec<DocUpdate>,
    ) -> Result<Vec<RelayRefusal>, PeerError> {
        self.asked_for_charts += 1;
        Ok(Vec::new())
    }
}

struct Org {
    key: IssuerKey,
}

impl Org {
    fn new(id: &str) -> Org {
        let (key, _) =
            IssuerKey::generate(Principal::Org(id.into()), &SystemRandom::new()).unwrap();
        Org { key }
    }

    /// A device of this organisation, its cert valid `from..until`.
    fn device(&self, name: &str, from: i64, until: i64) -> (PeerKey, Empty) {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let public: [u8; 32] = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .unwrap()
            .public_key()
            .as_ref()
            .try_into()
            .unwrap();
        let cert = self.key.sign_cert(CertFields {
            serial: 1,
            device: DeviceId::from(name),
            role: DeviceRole::Member,
            signing_key: public,
            bundle_key: [1; 32],
            not_before_ms: from,
            not_after_ms: until,
        });
        let mut anchors = Anchors::default();
        anchors.insert(self.key.issuer().clone(), self.key.public_key());
        let mut lists = RevocationLists::default();
        lists
            .merge(&self.key.sign_list(1, NOW - DAY, Vec::new()), &anchors)
            .unwrap();
        let store = Empty {
            trust: PeerTrust {
                anchors,
                lists,
                own_cert: cert,
                member_certs: Vec::new(),
            },
            asked_for_charts: 0,
        };
        (PeerKey::from_pkcs8(pkcs8.as_ref()).unwrap(), store)
    }

    fn valid(&self, name: &str) -> (PeerKey, Empty) {
        self.device(name, NOW - DAY, NOW + 300 * DAY)
    }

    fn revoking(&self, device: &str) -> SignedRevocationList {
        self.key.sign_list(
            2,
            NOW,
            vec![Revoked {
                device: DeviceId::from(device),
                since_ms: NOW - DAY,
                lost: true,
            }],
        )
    }
}

type Outcome = (Result<PeerSummary, PeerError>, Empty);

/// One session: `server` listens, `client` dials.
fn meet(server: (PeerKey, Empty), client: (PeerKey, Empty)) -> (Outcome, Outcome) {
    let (server_key, mut server_store) = server;
    let (client_key, mut client_store) = client;
    let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
    let address = listener.local_addr().unwrap();
    let serving = std::thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let outcome = serve(&mut link, &mut server_store, &mut |_| {});
        (outcome, server_store)
    });
    let mut link = crate::dial(address, &client_key).unwrap();
    let outcome = dial(&mut link, &mut client_store, &mut |_| {});
    (serving.join().unwrap(), (outcome, client_store))
}

fn code(outcome: &Outcome) -> String {
    outcome.0.as_ref().unwrap_err().code().as_str().to_owned()
}

#[test]
fn two_devices_of_one_organisation_meet_and_a_quiet_exchange_is_one_round_trip() {
    let org = Org::new("O1");
    let (server, client) = meet(org.valid("A"), org.valid("B"));
    let summary = client.0.unwrap();
    assert_eq!(summary.peer, Some(DeviceId::from("A")));
    assert_eq!(summary.round_trips, 1);
    assert_eq!(summary.sent_changes + summary.received_changes, 0);
    assert_eq!(server.0.unwrap().peer, Some(DeviceId::from("B")));
}

#[test]
fn a_device_of_another_organisation_is_refused_before_any_chart_byte() {
    let ours = Org::new("O1");
    let theirs = Org::new("O2");
    let (server, client) = meet(ours.valid("A"), theirs.valid("X"));
    // Each side refuses the other: neither holds the other's anchor.
    assert_eq!(code(&server), "peer_not_member");
    assert_eq!(code(&client), "peer_not_member");
    assert_eq!(server.1.asked_for_charts, 0);
    assert_eq!(client.1.asked_for_charts, 0);
}

#[test]
fn a_revoked_device_is_refused_even_when_only_the_other_side_heard_of_it() {
    let org = Org::new("O1");
    let (server_key, mut server_store) = org.valid("A");
    server_store
        .trust
        .lists
        .merge(&org.revoking("B"), &server_store.trust.anchors)
        .unwrap();
    let (server, client) = meet((server_key, server_store), org.valid("B"));
    assert_eq!(code(&server), "peer_revoked");
    assert_eq!(code(&client), "peer_revoked");
    assert_eq!(server.1.asked_for_charts, 0);
    assert_eq!(client.1.asked_for_charts, 0);

    // The revoked device dialled by a member is refused by the member too,
    // who learns the revocation from nobody but itself.
    let (revoked_key, revoked_store) = org.valid("B");
    let (member_key, mut member_store) = org.valid("A");
    member_store
        .trust
        .lists
        .merge(&org.revoking("B"), &member_store.trust.anchors)
        .unwrap();
    let (server, client) = meet((revoked_key, revoked_store), (member_key, member_store));
    assert_eq!(code(&client), "peer_revoked");
    assert_eq!(code(&server), "peer_revoked");
    assert_eq!(server.1.asked_for_charts, 0);
}

#[test]
fn an_expired_membership_is_refused() {
    let org = Org::new("O1");
    let expired = org.device("B", NOW - 400 * DAY, NOW - 3 * DAY);
    let (server, client) = meet(org.valid("A"), expired);
    assert_eq!(code(&server), "peer_cert_expired");
    assert_eq!(code(&client), "peer_cert_expired");
    assert_eq!(server.1.asked_for_charts, 0);
}

#[test]
fn a_members_cert_presented_with_another_key_is_refused() {
    let org = Org::new("O1");
    let (_, stolen_cert_store) = org.valid("B");
    let (other_key, _) = org.valid("C");
    // C's TLS key with B's cert: the cert does not name the key.
    let (server, client) = meet(org.valid("A"), (other_key, stolen_cert_store));
    assert_eq!(code(&server), "peer_not_member");
    assert_eq!(code(&client), "peer_not_member");
    assert_eq!(server.1.asked_for_charts, 0);
}

/// One session served in two steps, as the app's listener does: the hello
/// screened against a copy of the trust (no store), then the rest with the
/// store. Says whether the store was reached at all.
fn meet_screened(
    server: (PeerKey, Empty),
    client: (PeerKey, Empty),
) -> (Result<PeerSummary, PeerError>, bool, Outcome) {
    let (server_key, mut server_store) = server;
    let (client_key, mut client_store) = client;
    let listener = PeerListener::bind("127.0.0.1:0", &server_key).unwrap();
    let address = listener.local_addr().unwrap();
    let copy = server_store.trust.clone();
    let serving = std::thread::spawn(move || {
        let mut link = listener.accept().unwrap();
        let screened = karte_sync::peer::screen_hello(&mut link, &copy, NOW)?;
        assert_eq!(screened.device(), Some(DeviceId::from("B")));
        let outcome =
            karte_sync::peer::serve_screened(&mut link, &mut server_store, screened, &mut |_| {});
        assert!(server_store.asked_for_charts > 0);
        outcome
    });
    let mut link = crate::dial(address, &client_key).unwrap();
    let outcome = dial(&mut link, &mut client_store, &mut |_| {});
    let served = serving.join().unwrap();
    let reached = served.is_ok();
    (served, reached, (outcome, client_store))
}

#[test]
fn a_screened_hello_is_served_like_one_read_by_the_session() {
    let org = Org::new("O1");
    let (server, _, client) = meet_screened(org.valid("A"), org.valid("B"));
    assert_eq!(server.unwrap().peer, Some(DeviceId::from("B")));
    let summary = client.0.unwrap();
    assert_eq!(summary.peer, Some(DeviceId::from("A")));
    assert_eq!(summary.round_trips, 1);
}

#[test]
fn a_device_of_another_organisation_is_refused_on_its_hello_before_the_store() {
    let ours = Org::new("O1");
    let theirs = Org::new("O2");
    let (server, reached, client) = meet_screened(ours.valid("A"), theirs.valid("B"));
    assert!(!reached);
    assert_eq!(server.unwrap_err().code().as_str(), "peer_not_member");
    assert_eq!(code(&client), "peer_not_member");
    assert_eq!(client.1.asked_for_charts, 0);
}
