//! Roles as the core enforces them: for every operation of the app (called
//! by name, as every front calls it) and every session method a front
//! calls directly, which roles pass and which are refused with
//! `not_permitted`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use karte_api::{ApiError, App, Environment, KdfParams, Permission, Role, Session};
use karte_test_support::{PASSPHRASE, START, penicillin, visit, yamada};
use karte_types::{Credentials, EntryId, PatientId, ops};
use serde_json::{Value, json};

use crate::support::TempVault;
use crate::support::call;

/// What a permitted call answers with: success, or the error that comes
/// after the permission check (there is no hub, no review item, and so on).
#[derive(Debug, Clone, Copy)]
enum Permitted {
    Succeeds,
    FailsWith(&'static str),
}

/// One row of the table: an operation, the roles it refuses, and what it
/// does for the others.
struct Row {
    operation: &'static str,
    refused: &'static [Role],
    permitted: Permitted,
}

const NOBODY: &[Role] = &[];
const CLERK: &[Role] = &[Role::Clerk];
const ALL_BUT_ADMIN: &[Role] = &[Role::Nurse, Role::Doctor, Role::Clerk];

/// The table, in the order the calls are made (locking last).
const OPERATIONS: &[Row] = &[
    row("session_state", NOBODY, Permitted::Succeeds),
    row("create", NOBODY, Permitted::FailsWith("already_exists")),
    row("unlock", NOBODY, Permitted::Succeeds),
    row("patients", NOBODY, Permitted::Succeeds),
    row("add_patient", NOBODY, Permitted::Succeeds),
    row("chart", NOBODY, Permitted::Succeeds),
    row("update_patient", NOBODY, Permitted::Succeeds),
    row("add_allergy", CLERK, Permitted::Succeeds),
    row("set_no_known_allergies", CLERK, Permitted::Succeeds),
    row("add_condition", CLERK, Permitted::Succeeds),
    row("add_medication", CLERK, Permitted::Succeeds),
    row("record_visit", CLERK, Permitted::Succeeds),
    row("add_order", CLERK, Permitted::Succeeds),
    row("record_scale", CLERK, Permitted::Succeeds),
    row("void_entry", CLERK, Permitted::Succeeds),
    row(
        "resolve_review",
        CLERK,
        Permitted::FailsWith("unknown_review"),
    ),
    row("audit_log", NOBODY, Permitted::Succeeds),
    row("sync_state", NOBODY, Permitted::Succeeds),
    row("quarantined_charts", NOBODY, Permitted::Succeeds),
    row("sync", NOBODY, Permitted::FailsWith("not_enrolled")),
    row("share", CLERK, Permitted::FailsWith("not_enrolled")),
    row("unshare", CLERK, Permitted::FailsWith("not_enrolled")),
    row(
        "enrol",
        ALL_BUT_ADMIN,
        Permitted::FailsWith("hub_unreachable"),
    ),
    row("settings", NOBODY, Permitted::Succeeds),
    row("save_settings", NOBODY, Permitted::Succeeds),
    row("save_draft", NOBODY, Permitted::Succeeds),
    row("draft", NOBODY, Permitted::Succeeds),
    row("discard_draft", NOBODY, Permitted::Succeeds),
    row("add_casualty", NOBODY, Permitted::Succeeds),
    row("triage", CLERK, Permitted::Succeeds),
    row("record_transport", CLERK, Permitted::Succeeds),
    row("board", NOBODY, Permitted::Succeeds),
    row("identify", NOBODY, Permitted::FailsWith("invalid_input")),
    row("record_consultation", CLERK, Permitted::Succeeds),
    row("disaster_report", NOBODY, Permitted::Succeeds),
    row("add_photo", CLERK, Permitted::Succeeds),
    row("photos", NOBODY, Permitted::Succeeds),
    // The fixture's entry is a visit, not a photo.
    row("photo", NOBODY, Permitted::FailsWith("unknown_entry")),
    row("bundle_export", CLERK, Permitted::FailsWith("not_enrolled")),
    row("bundle_import", CLERK, Permitted::FailsWith("not_enrolled")),
    row(
        "nearby_devices",
        CLERK,
        Permitted::FailsWith("not_enrolled"),
    ),
    row("nearby_sync", CLERK, Permitted::FailsWith("not_enrolled")),
    row("nearby_listen", CLERK, Permitted::FailsWith("not_enrolled")),
    row("nearby_state", NOBODY, Permitted::Succeeds),
    row("document_draft", NOBODY, Permitted::Succeeds),
    row("document_pdf", CLERK, Permitted::Succeeds),
    row("save_document", CLERK, Permitted::Succeeds),
    // The fixture's entry is a visit, not a document.
    row(
        "update_document",
        CLERK,
        Permitted::FailsWith("unknown_entry"),
    ),
    row(
        "approve_document",
        &[Role::Nurse, Role::Clerk],
        Permitted::FailsWith("unknown_entry"),
    ),
    row("team_create", ALL_BUT_ADMIN, Permitted::Succeeds),
    row("team_invite", ALL_BUT_ADMIN, Permitted::Succeeds),
    // Nobody listens there.
    row(
        "team_join",
        ALL_BUT_ADMIN,
        Permitted::FailsWith("peer_unreachable"),
    ),
    row("team_show", NOBODY, Permitted::Succeeds),
    // The device named is no member of the team.
    row(
        "team_revoke",
        ALL_BUT_ADMIN,
        Permitted::FailsWith("invalid_input"),
    ),
    row("echo", NOBODY, Permitted::Succeeds),
    row("lock", NOBODY, Permitted::Succeeds),
];

const fn row(operation: &'static str, refused: &'static [Role], permitted: Permitted) -> Row {
    Row {
        operation,
        refused,
        permitted,
    }
}

fn passphrase_of(role: Role) -> String {
    match role {
        Role::Admin => std::str::from_utf8(PASSPHRASE).unwrap().to_owned(),
        other => format!("the {other}'s own passphrase"),
    }
}

/// An app whose sessions each get a seed of their own, so ids made in one
/// session never repeat those of another on the fixed clock.
fn app(vault: &TempVault) -> App {
    let seed = Arc::new(AtomicU64::new(100));
    App::new(
        vault.path(),
        KdfParams::insecure_fast_for_tests(),
        move || Environment::fixed(START, seed.fetch_add(1, Ordering::SeqCst)),
    )
}

/// What a role's turn works on: charts of its own, made by the
/// administrator, so no role's calls change what another's find.
struct Fixture {
    patient: PatientId,
    no_allergies: PatientId,
    entry: EntryId,
}

/// A 計画書's draft as a front sends it.
fn plan_draft() -> Value {
    json!({
        "kind": "plan",
        "patient": {"name": "山田 太郎", "birth": "1940-03-15", "address": "", "care_level": ""},
        "made": "2026-11-30", "reviewed": null, "goals": "自宅で過ごす", "problems": [],
        "materials": "", "notes": "",
        "station": {"name": "", "manager": "", "address": "", "phone": ""},
        "physician": {"name": "", "institution": ""},
    })
}

fn arguments(operation: &str, role: Role, fixture: &Fixture) -> Value {
    let credentials = json!({"user": role.code(), "passphrase": passphrase_of(role)});
    let patient = json!(fixture.patient);
    match operation {
        "create" | "unlock" => json!({ "credentials": credentials }),
        "patients" => json!({"search": ""}),
        "add_patient" => json!({ "patient": yamada() }),
        "chart" => json!({ "patient": patient }),
        "update_patient" => json!({"patient": patient, "demographics": yamada()}),
        "add_allergy" => json!({"patient": patient, "input": penicillin()}),
        "set_no_known_allergies" => json!({ "patient": fixture.no_allergies }),
        "add_condition" => {
            json!({"patient": patient, "input": karte_test_support::hypertension()})
        }
        "add_medication" => {
            json!({"patient": patient, "input": karte_test_support::amlodipine()})
        }
        "record_visit" => json!({"patient": patient, "input": visit(30, 72)}),
        "add_order" => {
            let from = karte_types::Date::from_ymd(2026, 11, 1).unwrap();
            json!({"patient": patient, "input": karte_test_support::regular_order(from, None)})
        }
        "record_scale" => json!({
            "patient": patient,
            "input": karte_test_support::design_r(30, "仙骨部", "D3-e1s6i0g3n3p0"),
        }),
        "void_entry" => {
            json!({"patient": patient, "entry": fixture.entry, "reason": "wrong patient"})
        }
        "resolve_review" => {
            json!({"patient": patient, "review": "01NOSUCHREVIEW", "chosen": "70"})
        }
        "audit_log" => json!({ "patient": patient }),
        "share" | "unshare" => json!({"patient": patient, "org": "01ORG000000000000000clinic"}),
        "enrol" => json!({"request": {
            "hub_url": "https://127.0.0.1:1",
            "code": "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789",
            "device_name": "tablet 3",
        }}),
        "save_settings" => json!({"settings": {"auto_lock_minutes": 10}}),
        "save_draft" => json!({"key": "visit", "input": {"text": "{}"}}),
        "draft" | "discard_draft" => json!({"key": "visit"}),
        "add_casualty" => json!({"input": {
            "tag": "T-0001", "sex": "female", "age_band": "30s", "found_at": null,
            "found_latitude": null, "found_longitude": null, "features": null,
        }}),
        "triage" => json!({"patient": patient, "request": {
            "findings": {"walks": true},
        }}),
        "record_transport" => json!({"patient": patient, "input": {
            "agency": "DMAT", "destination": null, "departed_at": null,
        }}),
        "board" => json!({"retriage_minutes": null}),
        // A named patient is no unknown casualty: refused, nothing written.
        "identify" => json!({"casualty": patient, "known": fixture.no_allergies}),
        "record_consultation" => json!({"patient": patient, "input": {
            "visit": visit(40, 76),
            "sheet": {"team": "DMAT 1", "site": "体育館", "items": "fever",
                "pregnant": false, "age_group": null},
        }}),
        "disaster_report" => json!({"date": "2026-12-07", "site": "体育館"}),
        "echo" => json!({"text": "hello"}),
        "add_photo" => json!({"patient": patient, "photo": {
            "file": karte_types::Base64Bytes(karte_photo::sample::jpeg_with_exif(32, 24, role as u32, 1)),
            "taken_at": null, "wound": "仙骨部", "assessment": null,
        }}),
        "photos" => json!({ "patient": patient }),
        "bundle_export" => {
            json!({"for_org": "01ORG000000000000000clinic", "since_last": false, "out": null})
        }
        "bundle_import" => json!({"bundle": karte_types::Base64Bytes(b"KBN1".to_vec())}),
        "photo" => json!({"patient": patient, "entry": fixture.entry, "size": "thumbnail"}),
        "nearby_devices" => json!({"wait_ms": 10}),
        "nearby_sync" => json!({"peer": "127.0.0.1:1"}),
        "nearby_listen" => json!({"on": true}),
        "document_draft" => json!({"patient": patient, "request": {
            "kind": "report", "month": "2026-11",
        }}),
        "document_pdf" | "save_document" => json!({"patient": patient, "draft": plan_draft()}),
        "update_document" => {
            json!({"patient": patient, "entry": fixture.entry, "draft": plan_draft()})
        }
        "approve_document" => json!({"patient": patient, "entry": fixture.entry}),
        "team_create" => json!({"name": "DMAT 岩手1"}),
        "team_invite" => json!({"team": null}),
        "team_revoke" => json!({"team": null, "device": "01NOTAMEMBER", "lost": false}),
        "team_join" => json!({"address": "127.0.0.1:1", "code": "4827-1935"}),
        _ => json!({}),
    }
}

/// A vault with one user of each role, and for each role a patient with a
/// visit and a patient with nothing recorded.
fn vault_with_every_role(vault: &TempVault) -> (App, Vec<(Role, Fixture)>) {
    let app = app(vault);
    app.create(&Credentials::new(
        Some("admin"),
        &passphrase_of(Role::Admin),
    ))
    .unwrap();
    let fixtures = Role::ALL
        .iter()
        .map(|&role| {
            app.with_session(|session| {
                if role != Role::Admin {
                    session.add_user(role.code(), role, passphrase_of(role).as_bytes())?;
                }
                let patient = session.add_patient(&yamada())?;
                let no_allergies = session.add_patient(&yamada())?;
                let entry = session.record_visit(&patient, &visit(0, 70))?;
                Ok((
                    role,
                    Fixture {
                        patient,
                        no_allergies,
                        entry,
                    },
                ))
            })
            .unwrap()
        })
        .collect();
    (app, fixtures)
}

#[test]
fn the_table_names_every_operation_once() {
    let mut named: Vec<&str> = OPERATIONS.iter().map(|row| row.operation).collect();
    named.sort_unstable();
    let mut declared = ops::NAMES.to_vec();
    declared.sort_unstable();
    assert_eq!(
        named, declared,
        "every operation needs a row: who may call it?"
    );
}

#[test]
fn every_operation_refuses_exactly_the_roles_its_row_names() {
    let vault = TempVault::new();
    let (app, fixtures) = vault_with_every_role(&vault);
    for (role, fixture) in &fixtures {
        app.unlock(&Credentials::new(Some(role.code()), &passphrase_of(*role)))
            .unwrap();
        for row in OPERATIONS {
            let result = call(
                &app,
                row.operation,
                arguments(row.operation, *role, fixture),
            );
            let context = format!("{} as {role}: {result:?}", row.operation);
            if row.refused.contains(role) {
                let error = result.expect_err(&context);
                assert_eq!(error.code(), "not_permitted", "{context}");
                assert!(
                    error.to_string().starts_with("only ")
                        && error.to_string().contains("ask one to do it"),
                    "the message says who may and what to do: {error}"
                );
            } else {
                match row.permitted {
                    Permitted::Succeeds => assert!(result.is_ok(), "{context}"),
                    Permitted::FailsWith(code) => {
                        assert_eq!(result.expect_err(&context).code(), code, "{context}")
                    }
                }
            }
        }
    }

    // What the clerk was refused left no trace in the clerk's charts.
    app.unlock(&Credentials::new(
        Some("admin"),
        &passphrase_of(Role::Admin),
    ))
    .unwrap();
    let (_, clerks) = fixtures.iter().find(|(r, _)| *r == Role::Clerk).unwrap();
    let chart = app.with_session(|s| s.chart(&clerks.patient)).unwrap();
    assert!(chart.allergies.is_empty() && chart.conditions.is_empty());
    assert!(chart.medications.is_empty());
    assert_eq!(chart.visits.len(), 1);
    assert!(chart.visits[0].meta.entered_in_error.is_none());
    let untouched = app.with_session(|s| s.chart(&clerks.no_allergies)).unwrap();
    assert_eq!(
        untouched.allergy_status,
        karte_types::AllergyStatus::NotRecorded
    );
}

/// The session methods the command line calls directly, outside the
/// operations list, each with the permission it needs.
#[test]
fn export_share_users_and_demo_data_are_guarded_too() {
    type Method = fn(&mut Session, &PatientId) -> Result<(), ApiError>;
    let table: &[(&str, Option<Permission>, Method)] = &[
        ("export_fhir", Some(Permission::Export), |s, p| {
            s.export_fhir(Some(p), std::io::sink()).map(drop)
        }),
        ("share", Some(Permission::Export), |s, p| {
            s.share(p, "org-2")
        }),
        ("add_user", Some(Permission::ManageUsers), |s, _| {
            let name = format!("new-{}", s.user().name);
            s.add_user(&name, Role::Nurse, PASSPHRASE).map(drop)
        }),
        ("demo", Some(Permission::RecordClinical), |s, _| {
            s.demo(1, 1, |_| {}).map(drop)
        }),
        ("export_photo", Some(Permission::Export), |s, p| {
            s.export_photo(p, &EntryId::from("01NOSUCHPHOTO")).map(drop)
        }),
        ("change_passphrase", None, |s, _| {
            let own = passphrase_of(s.user().role);
            s.change_passphrase(own.as_bytes())
        }),
    ];
    let vault = TempVault::new();
    let (app, fixtures) = vault_with_every_role(&vault);
    app.lock().unwrap();
    for (role, fixture) in &fixtures {
        let mut session = Session::open(
            &vault.path(),
            Some(role.code()),
            passphrase_of(*role).as_bytes(),
            Environment::fixed(START, 900 + *role as u64),
        )
        .unwrap();
        for (name, needed, method) in table {
            let result = method(&mut session, &fixture.patient);
            let context = format!("{name} as {role}: {result:?}");
            match needed {
                Some(needed) if !needed.allows(*role) => {
                    let error = result.expect_err(&context);
                    assert_eq!(error.code(), "not_permitted", "{context}");
                }
                // Sharing needs a hub; everything else succeeds.
                _ if *name == "share" => {
                    assert_eq!(result.unwrap_err().code(), "not_enrolled", "{context}")
                }
                // There is no such photo: the check came first.
                _ if *name == "export_photo" => {
                    assert_eq!(result.unwrap_err().code(), "unknown_entry", "{context}")
                }
                _ => assert!(result.is_ok(), "{context}"),
            }
        }
        session.lock();
    }
}

#[test]
fn only_nurses_doctors_and_administrators_may_write_clinical_content() {
    use Role::{Admin, Clerk, Doctor, Nurse};
    let expected: &[(Permission, &[Role])] = &[
        (Permission::EditDemographics, &[Nurse, Doctor, Clerk, Admin]),
        (Permission::RecordClinical, &[Nurse, Doctor, Admin]),
        (Permission::VoidEntries, &[Nurse, Doctor, Admin]),
        (Permission::ResolveReviews, &[Nurse, Doctor, Admin]),
        (Permission::Export, &[Nurse, Doctor, Admin]),
        (Permission::ManageUsers, &[Admin]),
        (Permission::EnrolDevice, &[Admin]),
        (Permission::ApproveDocuments, &[Doctor, Admin]),
    ];
    assert_eq!(expected.len(), Permission::ALL.len());
    for (permission, roles) in expected {
        assert_eq!(permission.roles(), *roles, "{permission:?}");
    }
}
