//! Field teams through the app, as every front calls it: two vaults that
//! never enrolled, one creating a team and inviting from the app (the
//! invitation served in the background), the other joining with the code;
//! then nearby sync between them under the team.

use crate::support::call_code as call;
use karte_api::{App, Environment, KdfParams};
use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::{Credentials, NearbyExchange, TeamInvitation, TeamShown};
use serde_json::json;

fn new_app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(
        dir.path().join("vault.karte"),
        KdfParams::insecure_fast_for_tests(),
        Environment::system,
    );
    let passphrase = std::str::from_utf8(PASSPHRASE).unwrap();
    app.create(&Credentials::new(Some("admin"), passphrase))
        .unwrap();
    (dir, app)
}

fn teams(app: &App) -> Vec<TeamShown> {
    serde_json::from_value(call(app, "team_show", json!({})).unwrap()).unwrap()
}

#[test]
fn a_device_joins_by_the_apps_invitation_and_the_two_sync_under_the_team() {
    let (_a_dir, a) = new_app();
    let (_b_dir, b) = new_app();
    assert!(teams(&a).is_empty());
    // Inviting to a team this device does not lead: no team.
    assert_eq!(
        call(&a, "team_invite", json!({ "team": null })).unwrap_err(),
        "no_team"
    );
    let made: TeamShown =
        serde_json::from_value(call(&a, "team_create", json!({ "name": "DMAT 岩手1" })).unwrap())
            .unwrap();
    assert!(made.lead && made.active);
    assert_eq!(made.members.len(), 1);
    assert_eq!(
        call(&a, "team_create", json!({ "name": "  " })).unwrap_err(),
        "invalid_input"
    );

    let invitation: TeamInvitation =
        serde_json::from_value(call(&a, "team_invite", json!({ "team": null })).unwrap()).unwrap();
    assert_eq!(invitation.team, made.id);
    assert_eq!(invitation.code.len(), 9);
    let port = invitation.addresses[0].rsplit_once(':').unwrap().1;
    let address = format!("127.0.0.1:{port}");
    // A code that is not 8 digits never reaches the lead.
    assert_eq!(
        call(
            &b,
            "team_join",
            json!({ "address": address, "code": "12-34" })
        )
        .unwrap_err(),
        "invalid_input"
    );
    let joined: TeamShown = serde_json::from_value(
        call(
            &b,
            "team_join",
            json!({ "address": address, "code": invitation.code }),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(joined.id, made.id);
    assert_eq!(joined.fingerprint, made.fingerprint);
    assert!(!joined.lead && joined.active);
    assert_eq!(teams(&a)[0].members.len(), 2);

    // Each writes a chart; B syncs with A by its address, under the team.
    let on_a = a.with_session(|s| s.add_patient(&yamada())).unwrap();
    a.with_session(|s| s.record_visit(&on_a, &visit(30, 72)))
        .unwrap();
    let on_b = b.with_session(|s| s.add_patient(&yamada())).unwrap();
    b.with_session(|s| s.record_visit(&on_b, &visit(40, 80)))
        .unwrap();
    let listening = a.start_listening("127.0.0.1", false).unwrap();
    let exchange: NearbyExchange =
        serde_json::from_value(call(&b, "nearby_sync", json!({ "peer": listening })).unwrap())
            .unwrap();
    assert_eq!(exchange.sent_charts, 1, "{exchange:?}");
    assert_eq!(exchange.received_charts, 1, "{exchange:?}");
    for app in [&a, &b] {
        for patient in [&on_a, &on_b] {
            let chart = app.with_session(|s| s.chart(patient)).unwrap();
            assert_eq!(chart.visits.len(), 1);
        }
    }
}
