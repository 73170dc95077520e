//! `karte team create|invite|join|show` and `karte peer sync` between team
//! members, as real processes over real sockets on 127.0.0.1: devices that
//! never met a hub form a team by a code and exchange their visits; a
//! wrong code three times kills the invitation and keeps nothing; a
//! device enrolled at a hub that joined a team keeps its organisation's
//! charts from the team.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::peer::{Serving, patients};
use crate::support::TestVault;
use crate::sync::{HubProcess, enrolled};

/// `karte team invite` on a free loopback port: its address and code.
struct Inviting {
    child: Child,
    address: String,
    code: String,
}

impl Inviting {
    fn start(lead: &TestVault) -> Inviting {
        let mut child = lead
            .command(&["team", "invite", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().unwrap().unwrap();
        let address = first.split_whitespace().last().unwrap().to_owned();
        assert!(address.starts_with("127.0.0.1:"), "{first}");
        let second = lines.next().unwrap().unwrap();
        let code = second
            .split_whitespace()
            .find(|word| word.len() == 9 && word.as_bytes()[4] == b'-')
            .unwrap_or_else(|| panic!("no code in {second:?}"))
            .to_owned();
        // The rest of its standard error is drained so it never blocks.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Inviting {
            child,
            address,
            code,
        }
    }

    /// Whether the invitation ended well, and what it printed.
    fn finish(self) -> (bool, String) {
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

fn teams(vault: &TestVault) -> serde_json::Value {
    serde_json::from_str(&vault.ok(&["team", "show", "--json"])).unwrap()
}

/// A wrong code: the right one with its last digit moved on.
fn wrong(code: &str) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = b'0' + (bytes[last] - b'0' + 1) % 10;
    String::from_utf8(bytes).unwrap()
}

/// `joiner` joins `lead`'s team with the right code.
fn join(lead: &TestVault, joiner: &TestVault) {
    let inviting = Inviting::start(lead);
    let said = joiner.ok(&["team", "join", &inviting.address, &inviting.code]);
    assert!(said.contains("joined the team"), "{said}");
    let (served, lead_said) = inviting.finish();
    assert!(served, "{lead_said}");
    assert!(lead_said.contains("joined the team"), "{lead_said}");
}

#[test]
fn two_devices_that_never_met_a_hub_form_a_team_and_exchange_visits() {
    let a = TestVault::new();
    let b = TestVault::new();
    let made = a.ok(&["team", "create", "DMAT 岩手1"]);
    assert!(
        made.contains("DMAT 岩手1") && made.contains("team created"),
        "{made}"
    );
    join(&a, &b);

    let a_teams = teams(&a);
    let b_teams = teams(&b);
    assert_eq!(a_teams[0]["id"], b_teams[0]["id"]);
    assert_eq!(a_teams[0]["fingerprint"], b_teams[0]["fingerprint"]);
    assert_eq!(b_teams[0]["name"], "DMAT 岩手1");
    assert_eq!(a_teams[0]["lead"], true);
    assert_eq!(b_teams[0]["lead"], false);
    assert_eq!(a_teams[0]["members"].as_array().unwrap().len(), 2);
    assert_eq!(b_teams[0]["members"].as_array().unwrap().len(), 2);

    let on_a = a.add_yamada();
    a.ok(&["visit", "record", &on_a, "--pulse", "72"]);
    let on_b = b.add_yamada();
    b.ok(&["visit", "record", &on_b, "--pulse", "88"]);

    let serving = Serving::start(&b);
    let said = a.ok(&["peer", "sync", &serving.address]);
    let (served, b_said) = serving.finish();
    assert!(served, "{b_said}");
    assert!(said.contains("synced with device"), "{said}");
    assert_eq!(patients(&a), patients(&b));
    assert_eq!(patients(&a).len(), 2);
    assert_eq!(a.chart_json(&on_b), b.chart_json(&on_b));
    assert_eq!(a.chart_json(&on_a), b.chart_json(&on_a));
    assert_eq!(b.chart_json(&on_a)["visits"].as_array().unwrap().len(), 1);
}

#[test]
fn a_wrong_code_three_times_kills_the_invitation_and_keeps_nothing() {
    let a = TestVault::new();
    let b = TestVault::new();
    a.ok(&["team", "create", "DMAT 岩手1"]);
    let inviting = Inviting::start(&a);
    let (address, code) = (inviting.address.clone(), inviting.code.clone());
    let bad = wrong(&code);
    for _ in 0..3 {
        let error = b.fails(&["team", "join", &address, &bad]);
        assert!(error.contains("error[pairing_failed]"), "{error}");
    }
    let (served, _) = inviting.finish();
    assert!(!served, "the invitation ends in failure");
    // The right code is refused too: nobody serves it any more.
    let error = b.fails(&["team", "join", &address, &code]);
    assert!(error.contains("error[peer_unreachable]"), "{error}");
    assert_eq!(teams(&b), serde_json::json!([]));
    assert!(b.ok(&["team", "show"]).contains("no team"));
    // A code that is not 8 digits is refused before anything is dialled.
    let error = b.fails(&["team", "join", "127.0.0.1:1", "1234-567"]);
    assert!(error.contains("error[invalid_input]"), "{error}");
}

#[test]
fn an_enrolled_device_in_a_team_keeps_its_organisations_charts_from_the_team() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let org_chart = a.add_yamada();
    a.ok(&["visit", "record", &org_chart, "--pulse", "70"]);
    a.ok(&["sync"]);
    hub.stop();

    a.ok(&["team", "create", "DMAT 岩手1"]);
    let b = TestVault::new();
    join(&a, &b);
    let team_chart = b.add_yamada();
    b.ok(&["visit", "record", &team_chart, "--pulse", "90"]);

    // B (never enrolled) dials A as the team's member: A answers as the
    // team's, with the team's charts only.
    let serving = Serving::start(&a);
    let said = b.ok(&["peer", "sync", &serving.address]);
    let (served, a_said) = serving.finish();
    assert!(served, "{a_said}");
    assert!(said.contains("synced with device"), "{said}");
    assert_eq!(patients(&b), vec![team_chart.clone()]);
    let mut both = vec![org_chart.clone(), team_chart.clone()];
    both.sort();
    assert_eq!(patients(&a), both);
    assert_eq!(a.chart_json(&team_chart), b.chart_json(&team_chart));

    // A dials B as the team's member (`--team`): B's new visit comes, the
    // organisation's chart still does not go. As the organisation's (no
    // flag), A is refused: B belongs to no organisation.
    b.ok(&["visit", "record", &team_chart, "--pulse", "91"]);
    let serving = Serving::start(&b);
    let said = a.ok(&["peer", "sync", &serving.address, "--team", "DMAT 岩手1"]);
    assert!(serving.finish().0, "{said}");
    assert_eq!(patients(&b), vec![team_chart.clone()]);
    assert_eq!(a.chart_json(&team_chart), b.chart_json(&team_chart));
    assert_eq!(
        a.chart_json(&team_chart)["visits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let serving = Serving::start(&b);
    let error = a.fails(&["peer", "sync", &serving.address]);
    assert!(error.contains("peer_not_member"), "{error}");
    assert!(!serving.finish().0);
    let error = a.fails(&["peer", "sync", "127.0.0.1:1", "--team", "no such team"]);
    assert!(error.contains("error[no_team]"), "{error}");
}

#[test]
fn a_revoked_member_is_refused_by_a_member_that_heard_of_it_from_the_lead() {
    let (a, b, c) = (TestVault::new(), TestVault::new(), TestVault::new());
    a.ok(&["team", "create", "DMAT 岩手1"]);
    join(&a, &b);
    join(&a, &c);
    // C is the member A knows and B (who joined before it) does not.
    let members = |vault: &TestVault| -> Vec<String> {
        teams(vault)[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["device"].as_str().unwrap().to_owned())
            .collect()
    };
    let known_to_b = members(&b);
    let c_id = members(&a)
        .into_iter()
        .find(|device| !known_to_b.contains(device))
        .expect("C's id");
    assert!(members(&c).contains(&c_id));
    let said = a.ok(&["team", "revoke", &c_id, "--lost"]);
    assert!(said.contains("revoked"), "{said}");

    // B hears of the list from A in an exchange, then refuses C.
    let serving = Serving::start(&a);
    b.ok(&["peer", "sync", &serving.address]);
    assert!(serving.finish().0);
    let on_c = c.add_yamada();
    let serving = Serving::start(&b);
    let error = c.fails(&["peer", "sync", &serving.address]);
    assert!(error.contains("peer_revoked"), "{error}");
    let (served, _) = serving.finish();
    assert!(!served);
    assert!(!patients(&b).contains(&on_c));
    assert!(
        teams(&a)[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["device"] == c_id.as_str() && m["revoked"] == true)
    );
}
