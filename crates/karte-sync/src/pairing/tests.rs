//! Pairings over in-memory links, one thread per side: the right code
//! gives the joiner the team's cert, any wrong code fails on both sides,
//! and a device relaying two TLS sessions fails even with the right code.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use proptest::prelude::*;
use ring::rand::SystemRandom;

use super::*;
use crate::trust::{CertFields, DeviceRole, IssuerKey, TEAM_CERT_LIFETIME_MS};

const NOW: i64 = 1_800_000_000_000;
const LEAD_KEY: [u8; 32] = [1; 32];
const JOINER_KEY: [u8; 32] = [2; 32];

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

/// Two ends of one link: the first's peer is `second_key`'s holder.
fn pair(first_key: [u8; 32], second_key: [u8; 32]) -> (MemoryLink, MemoryLink) {
    let (to_second, from_first) = channel();
    let (to_first, from_second) = channel();
    (
        MemoryLink {
            out: to_second,
            input: from_second,
            peer_key: second_key,
        },
        MemoryLink {
            out: to_first,
            input: from_first,
            peer_key: first_key,
        },
    )
}

fn request() -> JoinRequest {
    JoinRequest {
        device: DeviceId::from("JOINER"),
        bundle_key: [9; 32],
    }
}

/// The lead's welcome: a team cert for the joiner.
fn welcomer(team: IssuerKey) -> impl FnMut(&Joiner) -> Result<TeamWelcome, PairingError> {
    move |joiner: &Joiner| {
        let cert = team.sign_cert(CertFields {
            serial: 2,
            device: joiner.request.device.clone(),
            role: DeviceRole::Member,
            signing_key: joiner.signing_key,
            bundle_key: joiner.request.bundle_key,
            not_before_ms: NOW,
            not_after_ms: NOW + TEAM_CERT_LIFETIME_MS,
        });
        Ok(TeamWelcome {
            team_key: team.public_key(),
            team_name: "DMAT 岩手1".to_owned(),
            cert,
            member_certs: Vec::new(),
            list: team.sign_list(1, NOW, Vec::new()),
        })
    }
}

type Outcome = (
    Result<Joiner, PairingError>,
    Result<TeamWelcome, PairingError>,
);

/// Runs a pairing: the lead holds `lead_code`, the joiner types
/// `joiner_code`; both sides see `exporter`.
fn run(lead_code: &PairingCode, joiner_code: &PairingCode) -> Outcome {
    let (mut lead_end, mut joiner_end) = pair(LEAD_KEY, JOINER_KEY);
    let team = IssuerKey::generate_team(&SystemRandom::new()).unwrap().0;
    let lead_code = lead_code.clone();
    let lead_side = thread::spawn(move || {
        let mut welcome = welcomer(team);
        lead(&mut lead_end, &[5; 32], &LEAD_KEY, &lead_code, &mut welcome)
    });
    let joined = join(
        &mut joiner_end,
        &[5; 32],
        &JOINER_KEY,
        joiner_code,
        request(),
    );
    drop(joiner_end);
    (lead_side.join().unwrap(), joined)
}

fn code(digits: u32) -> PairingCode {
    PairingCode::parse(&format!("{digits:08}")).unwrap()
}

#[test]
fn the_right_code_gives_the_joiner_a_cert_of_the_team() {
    let code = code(48_271_935);
    let (lead_side, joiner_side) = run(&code, &code);
    let joiner = lead_side.unwrap();
    assert_eq!(joiner.signing_key, JOINER_KEY);
    assert_eq!(joiner.request, request());
    let welcome = joiner_side.unwrap();
    let cert = welcome.cert.open().unwrap();
    assert_eq!(cert.issuer, Principal::Team(welcome.team()));
    assert_eq!(cert.device, DeviceId::from("JOINER"));
    assert_eq!(cert.signing_key, JOINER_KEY);
    assert_eq!(welcome.team_name, "DMAT 岩手1");
}

#[test]
fn a_device_in_the_middle_fails_the_confirmation_even_with_the_right_code() {
    // The joiner's TLS session ends at the middle device (key 3, exporter
    // 7), which opens its own session to the lead (key 3, exporter 8) and
    // relays every frame as it is.
    const MIDDLE: [u8; 32] = [3; 32];
    let (mut lead_end, mut middle_to_lead) = pair(LEAD_KEY, MIDDLE);
    let (mut joiner_end, mut middle_to_joiner) = pair(MIDDLE, JOINER_KEY);
    let team = IssuerKey::generate_team(&SystemRandom::new()).unwrap().0;
    let code = code(11_223_344);
    let lead_code = code.clone();
    let lead_side = thread::spawn(move || {
        let mut welcome = welcomer(team);
        lead(&mut lead_end, &[8; 32], &LEAD_KEY, &lead_code, &mut welcome)
    });
    let relay = thread::spawn(move || {
        // Joiner → lead and back, frame by frame, until either side stops.
        while let Ok(frame) = middle_to_joiner.receive() {
            if middle_to_lead.send(&frame).is_err() {
                break;
            }
            match middle_to_lead.receive() {
                Ok(frame) => {
                    if middle_to_joiner.send(&frame).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let joined = join(&mut joiner_end, &[7; 32], &JOINER_KEY, &code, request());
    drop(joiner_end);
    assert_eq!(lead_side.join().unwrap().unwrap_err(), PairingError::Failed);
    assert_eq!(joined.unwrap_err(), PairingError::Failed);
    relay.join().unwrap();
}

#[test]
fn an_invitation_dies_after_three_failures_or_ten_minutes() {
    let mut invitation = Invitation::new(code(12_345_678), NOW);
    assert!(invitation.usable(NOW + CODE_LIFETIME_MS).is_ok());
    assert_eq!(
        invitation.usable(NOW + CODE_LIFETIME_MS + 1).unwrap_err(),
        PairingError::CodeExpired
    );
    for _ in 0..2 {
        invitation.note_failure();
        assert!(invitation.usable(NOW).is_ok());
    }
    invitation.note_failure();
    assert_eq!(invitation.failed_attempts(), 3);
    assert_eq!(
        invitation.usable(NOW).unwrap_err().code(),
        ErrorCode::PairingCodeExpired
    );
}

#[test]
fn a_code_reads_as_typed_and_nothing_else() {
    let code = PairingCode::parse("4827-1935").unwrap();
    assert_eq!(code.display(), "4827-1935");
    assert_eq!(PairingCode::parse("４８２７ １９３５").unwrap(), code);
    assert_eq!(PairingCode::parse(" 48271935 ").unwrap(), code);
    for bad in ["", "4827-193", "4827-19355", "4827-193a", "4827_1935"] {
        assert_eq!(
            PairingCode::parse(bad).unwrap_err(),
            PairingError::BadCode,
            "{bad}"
        );
    }
    let made = PairingCode::generate(&SystemRandom::new()).unwrap();
    assert_eq!(PairingCode::parse(&made.display()).unwrap(), made);
}

proptest! {
    #[test]
    fn a_code_reads_the_same_however_it_is_spaced_and_nothing_else_reads(
        digits in 0u32..100_000_000,
        gaps in proptest::collection::vec(prop::sample::select(vec!["", "-", " ", "　", "－"]), 9),
        full_width: bool,
        junk in "[a-zA-Z.,_/]",
        at in 0usize..9,
    ) {
        let plain = format!("{digits:08}");
        let mut typed = String::new();
        for (i, c) in plain.chars().enumerate() {
            typed.push_str(gaps[i]);
            typed.push(if full_width { char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap() } else { c });
        }
        typed.push_str(gaps[8]);
        let code = PairingCode::parse(&typed).unwrap();
        prop_assert_eq!(code.display(), format!("{}-{}", &plain[..4], &plain[4..]));
        prop_assert_eq!(PairingCode::parse(&code.display()).unwrap(), code);
        let mut bad = plain.clone();
        bad.insert_str(at.min(bad.len()), &junk);
        prop_assert_eq!(PairingCode::parse(&bad).unwrap_err(), PairingError::BadCode);
        prop_assert_eq!(PairingCode::parse(&plain[1..]).unwrap_err(), PairingError::BadCode);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn any_wrong_code_fails_on_both_sides_and_the_right_one_succeeds(
        right in 0u32..100_000_000,
        wrong in 0u32..100_000_000,
    ) {
        let right = code(right);
        let (lead_side, joiner_side) = run(&right, &right);
        prop_assert!(lead_side.is_ok());
        prop_assert!(joiner_side.is_ok());
        let wrong = code(wrong);
        prop_assume!(wrong != right);
        let (lead_side, joiner_side) = run(&right, &wrong);
        prop_assert_eq!(lead_side.unwrap_err(), PairingError::Failed);
        prop_assert_eq!(joiner_side.unwrap_err(), PairingError::Failed);
    }
}
