//! The serving side of a session over an in-memory link, driven by hand
//! as a dishonest dialler would: each received change is checked against
//! its author's cert, and only charts that pass reach the store.

use std::sync::mpsc::{Receiver, Sender, channel};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use karte_record::actor_for;
use ring::rand::SystemRandom;

use super::*;
use crate::trust::{CertFields, DeviceRole, IssuerKey, Principal, Revoked};
use crate::{DeviceKey, sign_change};

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 24 * 60 * 60 * 1000;

struct MemoryLink {
    out: Sender<Vec<u8>>,
    input: Receiver<Vec<u8>>,
    peer_key: [u8; 32],
}

impl PeerLink for MemoryLink {
    fn send(&mut self, frame: &[u8]) -> Result<(), PeerError> {
        self.out
            .send(frame.to_vec())
            .map_err(|_| PeerError::Unreachable {
                detail: "closed".into(),
            })
    }

    fn receive(&mut self) -> Result<Vec<u8>, PeerError> {
        self.input.recv().map_err(|_| PeerError::Unreachable {
            detail: "closed".into(),
        })
    }

    fn peer_key(&self) -> [u8; 32] {
        self.peer_key
    }
}

/// A store that keeps what it is given.
struct Memory {
    trust: PeerTrust,
    received: Vec<DocUpdate>,
}

impl PeerStore for Memory {
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
        Ok(Vec::new())
    }

    fn updates_for(&mut self, _theirs: &[DocHeads]) -> Result<Vec<DocUpdate>, PeerError> {
        Ok(Vec::new())
    }

    fn receive(
        &mut self,
        _from: &DeviceId,
        updates: Vec<DocUpdate>,
    ) -> Result<Vec<RelayRefusal>, PeerError> {
        self.received.extend(updates);
        Ok(Vec::new())
    }
}

struct Device {
    id: DeviceId,
    key: DeviceKey,
    cert: SignedCert,
}

fn device(org: &IssuerKey, name: &str) -> Device {
    let id = DeviceId::from(name);
    let (key, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
    let cert = org.sign_cert(CertFields {
        serial: 1,
        device: id.clone(),
        role: DeviceRole::Member,
        signing_key: key.public_key(),
        bundle_key: [0; 32],
        not_before_ms: NOW - DAY,
        not_after_ms: NOW + 300 * DAY,
    });
    Device { id, key, cert }
}

/// A change written under an actor of `writer`, as its raw bytes.
fn change_by(writer: &DeviceId, value: i64) -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(actor_for(writer, [value as u8; 16]));
    doc.put(ROOT, "pulse", value).unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

/// An update of chart `doc` with one change, signed by `signer` as
/// `claimed`.
fn update(doc: &str, bytes: Vec<u8>, signer: &DeviceKey, claimed: &DeviceId) -> DocUpdate {
    let signed = sign_change(signer, &bytes).unwrap();
    DocUpdate {
        doc: PatientId::from(doc),
        payload: Payload::Changes(vec![bytes]),
        signatures: vec![crate::wire::ChangeSignature {
            hash: signed.hash,
            device: claimed.clone(),
            signature: signed.signature,
        }],
        digest: None,
    }
}

#[test]
fn only_charts_whose_changes_are_signed_by_their_members_reach_the_store() {
    let (org, _) = IssuerKey::generate(Principal::Org("O1".into()), &SystemRandom::new()).unwrap();
    let server = device(&org, "A");
    let dialler = device(&org, "B");
    let other = device(&org, "C");
    let unknown = device(&org, "D");
    let revoked = device(&org, "E");
    let (foreign_org, _) =
        IssuerKey::generate(Principal::Org("O2".into()), &SystemRandom::new()).unwrap();
    let foreigner = device(&foreign_org, "F");

    let mut anchors = Anchors::default();
    anchors.insert(org.issuer().clone(), org.public_key());
    let mut lists = RevocationLists::default();
    let list = org.sign_list(
        3,
        NOW,
        vec![Revoked {
            device: revoked.id.clone(),
            since_ms: NOW - DAY,
            lost: true,
        }],
    );
    lists.merge(&list, &anchors).unwrap();
    let mut store = Memory {
        trust: PeerTrust {
            anchors,
            lists,
            own_cert: server.cert.clone(),
            member_certs: Vec::new(),
        },
        received: Vec::new(),
    };

    let (to_server, server_in) = channel();
    let (to_dialler, dialler_in) = channel();
    let mut server_link = MemoryLink {
        out: to_dialler,
        input: server_in,
        peer_key: dialler.key.public_key(),
    };
    let serving = std::thread::spawn(move || {
        let outcome = serve(&mut server_link, &mut store, &mut |_| {});
        (outcome, store)
    });
    let send = |message: PeerMessage| to_server.send(message.to_bytes()).unwrap();
    let receive = || PeerMessage::from_bytes(&dialler_in.recv().unwrap()).unwrap();

    send(PeerMessage::Hello(PeerHello {
        protocol: PEER_PROTOCOL,
        cert: dialler.cert.clone(),
        lists: Vec::new(),
        clock_ms: NOW,
    }));
    assert!(matches!(receive(), PeerMessage::Welcome(_)));
    let updates = vec![
        // Good: B's own change, signed by B.
        update(
            "P-good",
            change_by(&dialler.id, 1),
            &dialler.key,
            &dialler.id,
        ),
        // Good too: C's change relayed by B with C's signature and cert.
        update("P-relayed", change_by(&other.id, 2), &other.key, &other.id),
        // Forged: said to be B's, signed with another key.
        update(
            "P-forged",
            change_by(&dialler.id, 3),
            &other.key,
            &dialler.id,
        ),
        // Misattributed: C's actor, signed by B as B.
        update(
            "P-misattributed",
            change_by(&other.id, 4),
            &dialler.key,
            &dialler.id,
        ),
        // An author whose cert nobody sent.
        update(
            "P-unknown",
            change_by(&unknown.id, 5),
            &unknown.key,
            &unknown.id,
        ),
        // An author revoked by the organisation.
        update(
            "P-revoked",
            change_by(&revoked.id, 6),
            &revoked.key,
            &revoked.id,
        ),
        // An author of another organisation.
        update(
            "P-foreign",
            change_by(&foreigner.id, 7),
            &foreigner.key,
            &foreigner.id,
        ),
    ];
    send(PeerMessage::Push(PeerBatch {
        updates,
        heads: Vec::new(),
        certs: vec![
            dialler.cert.clone(),
            other.cert.clone(),
            revoked.cert.clone(),
            foreigner.cert.clone(),
        ],
    }));
    let PeerMessage::Receipt { stored, refused } = receive() else {
        panic!("expected a receipt");
    };
    send(PeerMessage::Done);
    let (outcome, store) = serving.join().unwrap();
    let summary = outcome.unwrap();

    assert_eq!(stored, 2);
    let kept: Vec<&str> = store.received.iter().map(|u| u.doc.as_str()).collect();
    assert_eq!(kept, ["P-good", "P-relayed"]);
    let refused: Vec<(String, String)> = refused
        .into_iter()
        .map(|r| (r.doc.to_string(), r.code))
        .collect();
    assert_eq!(
        refused,
        [
            ("P-forged".to_owned(), "forged_change".to_owned()),
            ("P-misattributed".to_owned(), "foreign_actor".to_owned()),
            ("P-unknown".to_owned(), "unknown_signer".to_owned()),
            ("P-revoked".to_owned(), "unknown_signer".to_owned()),
            ("P-foreign".to_owned(), "unknown_signer".to_owned()),
        ]
    );
    assert_eq!(summary.received_charts, 2);
    assert_eq!(summary.peer, Some(dialler.id));
}

#[test]
fn a_dialler_that_skips_the_hello_gets_nothing() {
    let (org, _) = IssuerKey::generate(Principal::Org("O1".into()), &SystemRandom::new()).unwrap();
    let server = device(&org, "A");
    let mut anchors = Anchors::default();
    anchors.insert(org.issuer().clone(), org.public_key());
    let mut store = Memory {
        trust: PeerTrust {
            anchors,
            lists: RevocationLists::default(),
            own_cert: server.cert.clone(),
            member_certs: Vec::new(),
        },
        received: Vec::new(),
    };
    let (to_server, server_in) = channel();
    let (to_dialler, dialler_in) = channel();
    let mut link = MemoryLink {
        out: to_dialler,
        input: server_in,
        peer_key: [9; 32],
    };
    to_server
        .send(PeerMessage::Offer { heads: Vec::new() }.to_bytes())
        .unwrap();
    let error = serve(&mut link, &mut store, &mut |_| {}).unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerProtocol);
    assert!(matches!(
        PeerMessage::from_bytes(&dialler_in.recv().unwrap()).unwrap(),
        PeerMessage::Refused { .. }
    ));
    assert!(store.received.is_empty());

    // Screened apart, as a listener does before it takes its store: the
    // same refusal, with only a copy of the trust at hand.
    to_server
        .send(PeerMessage::Offer { heads: Vec::new() }.to_bytes())
        .unwrap();
    let error = screen_hello(&mut link, &store.trust, NOW).unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerProtocol);
    assert!(matches!(
        PeerMessage::from_bytes(&dialler_in.recv().unwrap()).unwrap(),
        PeerMessage::Refused { .. }
    ));
}

#[test]
fn messages_round_trip_and_garbage_is_a_protocol_error() {
    let message = PeerMessage::Receipt {
        stored: 3,
        refused: vec![RelayRefusal {
            doc: PatientId::from("P1"),
            code: "bad_signature".into(),
        }],
    };
    assert_eq!(
        PeerMessage::from_bytes(&message.to_bytes()).unwrap(),
        message
    );
    for garbage in [&b""[..], b"\xff\xff\xff", b"\x02"] {
        let error = PeerError::from(PeerMessage::from_bytes(garbage).unwrap_err());
        assert_eq!(error.code(), ErrorCode::PeerProtocol);
    }
}

#[test]
fn a_group_tag_changes_with_the_day_and_the_organisation_and_names_neither() {
    let tag = group_tag(&[1; 32], 20_000);
    assert_eq!(tag.len(), 16);
    assert_eq!(tag, group_tag(&[1; 32], 20_000));
    assert_ne!(tag, group_tag(&[1; 32], 20_001));
    assert_ne!(tag, group_tag(&[2; 32], 20_000));
    assert!(!tag.contains(&hex::encode([1u8; 4])));
}

/// A hello of `device`, as it comes over a link its key authenticated.
fn hello_of(device: &Device) -> PeerHello {
    PeerHello {
        protocol: PEER_PROTOCOL,
        cert: device.cert.clone(),
        lists: Vec::new(),
        clock_ms: NOW,
    }
}

#[test]
fn a_device_in_an_organisation_and_a_team_admits_each_under_its_own_issuer() {
    let (org, _) = IssuerKey::generate(Principal::Org("O1".into()), &SystemRandom::new()).unwrap();
    let (team, _) = IssuerKey::generate_team(&SystemRandom::new()).unwrap();
    let (other_team, _) = IssuerKey::generate_team(&SystemRandom::new()).unwrap();
    // This device: enrolled in O1 and a member of the team.
    let as_member = device(&org, "A");
    let in_team = Device {
        cert: team.sign_cert(CertFields {
            serial: 1,
            device: as_member.id.clone(),
            role: DeviceRole::TeamLead,
            signing_key: as_member.key.public_key(),
            bundle_key: [0; 32],
            not_before_ms: NOW - DAY,
            not_after_ms: NOW + 30 * DAY,
        }),
        ..device(&org, "A")
    };
    let colleague = device(&org, "B");
    let team_mate = device(&team, "T1");
    let revoked_mate = device(&team, "T2");
    let stranger = device(&other_team, "X");

    let mut anchors = Anchors::default();
    anchors.insert(org.issuer().clone(), org.public_key());
    anchors.insert(team.issuer().clone(), team.public_key());
    let mut lists = RevocationLists::default();
    let revoked = vec![Revoked {
        device: revoked_mate.id.clone(),
        since_ms: NOW - DAY,
        lost: true,
    }];
    lists
        .merge(&team.sign_list(2, NOW, revoked), &anchors)
        .unwrap();
    let trusts = [
        PeerTrust {
            anchors: anchors.clone(),
            lists: lists.clone(),
            own_cert: as_member.cert.clone(),
            member_certs: Vec::new(),
        },
        PeerTrust {
            anchors,
            lists,
            own_cert: in_team.cert.clone(),
            member_certs: Vec::new(),
        },
    ];
    let screen = |dialler: &Device| {
        let (to_server, server_in) = channel();
        let (to_dialler, dialler_in) = channel();
        let mut link = MemoryLink {
            out: to_dialler,
            input: server_in,
            peer_key: dialler.key.public_key(),
        };
        to_server
            .send(PeerMessage::Hello(hello_of(dialler)).to_bytes())
            .unwrap();
        let outcome = screen_hello_among(&mut link, &trusts, NOW);
        drop(dialler_in);
        outcome.map(|screened| screened.device())
    };
    assert_eq!(screen(&colleague).unwrap(), Some(colleague.id.clone()));
    assert_eq!(screen(&team_mate).unwrap(), Some(team_mate.id.clone()));
    assert_eq!(
        screen(&revoked_mate).unwrap_err().code(),
        ErrorCode::PeerRevoked
    );
    assert_eq!(
        screen(&stranger).unwrap_err().code(),
        ErrorCode::PeerNotMember
    );
    // The team's trust alone does not admit the organisation's device,
    // nor the other way round: a session runs under one issuer.
    let mut team_trust = trusts[1].clone();
    let error = admit(
        &hello_of(&colleague),
        &mut team_trust,
        colleague.key.public_key(),
        NOW,
    )
    .unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerNotMember);
    let mut org_trust = trusts[0].clone();
    let error = admit(
        &hello_of(&team_mate),
        &mut org_trust,
        team_mate.key.public_key(),
        NOW,
    )
    .unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerNotMember);
}
