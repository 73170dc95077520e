//! The disaster drill, end to end with real processes: three devices of one
//! organisation enrolled at a real hub, which is then stopped; fifty
//! casualties registered and triaged across the three, some re-triaged,
//! five identified as known patients, ten transported, consultations
//! ticked with J-SPEED items; the devices exchange their work peer to peer
//! only. At the end every device shows the same board and the same daily
//! report, and both are what the drill entered.
//!
//! Peer sessions run on the real clock (the devices' certificates were
//! issued on it); everything recorded runs on a fixed day in Japan
//! (`KARTE_TEST_NOW`), each phase at its own hour, so the board's waiting
//! times are the same on any date and in any time zone.

use std::collections::BTreeMap;

use crate::peer::Serving;
use crate::support::TestVault;
use crate::sync::{HubProcess, enrolled};

const CASUALTIES: usize = 50;
const SITE: &str = "益城町総合体育館";
const TEAM: &str = "DMAT 熊本1";
const DAY: &str = "2026-12-07";
/// Registration and the first triage.
const FIRST: &str = "2026-12-07T10:00:00+09:00";
/// Re-triage, identification, transport and consultations.
const LATER: &str = "2026-12-07T10:20:00+09:00";
/// The board and the report are read.
const READ: &str = "2026-12-07T11:00:00+09:00";

/// Runs `karte` on `vault` with the clock standing at `now`; its output.
fn at(vault: &TestVault, now: &str, args: &[&str]) -> String {
    vault.ok_at(now, args)
}

/// `dialler` syncs with `server` over the loopback, as the peer tests do.
fn peer_sync(dialler: &TestVault, server: &TestVault) {
    let serving = Serving::start(server);
    let said = dialler.ok(&["peer", "sync", &serving.address]);
    assert!(!said.contains("refused"), "{said}");
    let (served, said) = serving.finish();
    assert!(served, "{said}");
}

/// A↔B, B↔C, then A↔B again: whatever any of them had, all three have.
fn converge(devices: &[TestVault; 3]) {
    let [a, b, c] = devices;
    peer_sync(a, b);
    peer_sync(b, c);
    peer_sync(a, b);
}

/// The triage arguments that give `category`: the rules' own answer for
/// green, red and black, an override for yellow.
fn triage_args(category: &str) -> Vec<&'static str> {
    match category {
        "green" => vec!["--walks", "yes"],
        "yellow" => vec![
            "--walks",
            "yes",
            "--override",
            "yellow",
            "--reason",
            "骨盤の動揺",
        ],
        "red" => vec![
            "--walks",
            "no",
            "--breathing",
            "yes",
            "--rr",
            "32",
            "--pulse",
            "130",
            "--crt",
            "3",
            "--obeys",
            "yes",
        ],
        "black" => vec!["--walks", "no", "--breathing", "no"],
        other => panic!("no category {other}"),
    }
}

const CATEGORIES: [&str; 4] = ["green", "yellow", "red", "black"];

#[test]
fn fifty_casualties_on_three_offline_devices_converge_peer_to_peer_on_one_board_and_report() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let devices = [
        enrolled(&hub, &org, "tablet A"),
        enrolled(&hub, &org, "tablet B"),
        enrolled(&hub, &org, "tablet C"),
    ];
    // Offline from enrolment on: no device has heard of the others from
    // the hub. Each learns their certs from the peers it meets, with the
    // changes those certs vouch for, and passes both on.
    hub.stop();
    let [a, b, c] = &devices;

    // Five known patients, on A: their charts reach B and C by peer sync.
    let known_names = [
        ("山田", "ヤマダ"),
        ("佐藤", "サトウ"),
        ("鈴木", "スズキ"),
        ("高橋", "タカハシ"),
        ("田中", "タナカ"),
    ];
    let known: Vec<String> = known_names
        .iter()
        .map(|(family, kana)| {
            at(
                a,
                FIRST,
                &[
                    "patient",
                    "add",
                    "--family",
                    family,
                    "--given",
                    "太郎",
                    "--family-kana",
                    kana,
                    "--given-kana",
                    "タロウ",
                    "--birth",
                    "1981-05-01",
                    "--sex",
                    "male",
                ],
            )
            .trim()
            .to_owned()
        })
        .collect();

    // Fifty casualties, 17/17/16, each triaged where it was registered.
    let registrar = |i: usize| i * 3 / CASUALTIES;
    let tag = |i: usize| format!("D-{:03}", i + 1);
    let mut latest: Vec<&str> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for i in 0..CASUALTIES {
        let device = &devices[registrar(i)];
        let id = at(
            device,
            FIRST,
            &[
                "casualty",
                "add",
                "--tag",
                &tag(i),
                "--sex",
                "male",
                "--age-band",
                "40s",
            ],
        )
        .trim()
        .to_owned();
        let category = CATEGORIES[i % 4];
        let mut args = vec!["triage", id.as_str()];
        args.extend(triage_args(category));
        at(device, FIRST, &args);
        ids.push(id);
        latest.push(category);
    }
    assert_eq!(
        (0..CASUALTIES).map(registrar).fold([0; 3], |mut n, d| {
            n[d] += 1;
            n
        }),
        [17, 17, 16]
    );
    converge(&devices);

    // Every fifth casualty re-triaged on the device after its registrar's.
    let retriaged: Vec<usize> = (0..CASUALTIES).step_by(5).collect();
    for &i in &retriaged {
        let category = CATEGORIES[(i + 1) % 4];
        let mut args = vec!["triage", ids[i].as_str()];
        args.extend(triage_args(category));
        at(&devices[(registrar(i) + 1) % 3], LATER, &args);
        latest[i] = category;
    }
    // Five walking wounded identified on C as the known patients A wrote.
    let identified: Vec<usize> = (0..CASUALTIES)
        .filter(|i| i % 4 == 0 && i % 5 != 0)
        .take(5)
        .collect();
    for (&i, known) in identified.iter().zip(&known) {
        at(c, LATER, &["identify", &ids[i], "--as", known]);
    }
    // Ten of the yellow and red transported, on B.
    let transported: Vec<usize> = (0..CASUALTIES)
        .filter(|i| matches!(i % 4, 1 | 2) && i % 5 != 0)
        .take(10)
        .collect();
    assert_eq!(transported.len(), 10);
    for &i in &transported {
        at(
            b,
            LATER,
            &[
                "transport",
                &ids[i],
                "--agency",
                "熊本市消防局",
                "--destination",
                "熊本赤十字病院",
                "--departed",
                "now",
            ],
        );
    }
    // Consultations at the site that day: fever for three known patients
    // on A, a minor injury for three casualties on C; and one the day
    // before, which the report leaves out.
    let consult = |device: &TestVault, patient: &str, when: &str, items: &str| {
        at(
            device,
            LATER,
            &[
                "visit", "record", patient, "--pulse", "80", "--at", when, "--jspeed", items,
                "--team", TEAM, "--site", SITE,
            ],
        );
    };
    for patient in &known[..3] {
        consult(a, patient, "2026-12-07T10:05:00+09:00", "16");
    }
    for i in [30, 31, 33] {
        consult(c, &ids[i], "2026-12-07T10:10:00+09:00", "5");
    }
    consult(a, &known[3], "2026-12-06T18:00:00+09:00", "16");
    converge(&devices);

    // What the drill entered: latest category of everyone not transported.
    let mut expected_counts: BTreeMap<&str, u64> = CATEGORIES.iter().map(|c| (*c, 0)).collect();
    let mut expected_rows: Vec<(String, String)> = Vec::new();
    for i in (0..CASUALTIES).filter(|i| !transported.contains(i)) {
        *expected_counts.get_mut(latest[i]).unwrap() += 1;
        expected_rows.push((tag(i), latest[i].to_owned()));
    }
    expected_rows.sort();

    let boards: Vec<serde_json::Value> = devices
        .iter()
        .map(|d| serde_json::from_str(&at(d, READ, &["board", "--json"])).unwrap())
        .collect();
    for board in &boards {
        assert_eq!(board, &boards[0], "every device shows the same board");
    }
    let board = &boards[0];
    assert_eq!(board["untriaged"], 0, "{board}");
    assert_eq!(board["departed"], 10, "{board}");
    let counts: BTreeMap<&str, u64> = board["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, expected_counts, "{board}");
    let rows = board["rows"].as_array().unwrap();
    let mut shown: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row["tag"].as_str().unwrap().to_owned(),
                row["category"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    shown.sort();
    assert_eq!(shown, expected_rows);
    // The identified stand on the board under the known patient's name,
    // once; the re-triaged wait since their re-triage.
    for (&i, (family, _)) in identified.iter().zip(&known_names) {
        let row = rows.iter().find(|r| r["patient"] == ids[i]).unwrap();
        assert_eq!(row["name_ja"], format!("{family} 太郎"), "{row}");
    }
    for &i in &retriaged {
        let row = rows.iter().find(|r| r["patient"] == ids[i]).unwrap();
        assert_eq!(row["waiting_minutes"], 40, "{row}");
    }
    let first = rows.iter().find(|r| r["patient"] == ids[1]);
    assert!(
        first.is_none(),
        "a transported casualty is not on the board"
    );

    let reports: Vec<serde_json::Value> = devices
        .iter()
        .map(|d| {
            serde_json::from_str(&at(
                d,
                READ,
                &[
                    "disaster", "report", "--date", DAY, "--site", SITE, "--json",
                ],
            ))
            .unwrap()
        })
        .collect();
    for report in &reports {
        assert_eq!(report, &reports[0], "every device makes the same report");
    }
    let team = &reports[0]["teams"][0];
    assert_eq!(reports[0]["teams"].as_array().unwrap().len(), 1);
    assert_eq!(team["team"], TEAM);
    assert_eq!(team["consultations"], 6, "{team}");
    assert_eq!(team["items"]["fever"], 3, "{team}");
    assert_eq!(
        team["male"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>(),
        6,
        "{team}"
    );
}
