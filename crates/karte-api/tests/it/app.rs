//! The app every front holds: first run, unlock, auto-lock on a clock the
//! test moves, drafts across locking, the sync state while offline, and
//! the last sync as a new app finds it in the vault.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use karte_api::{App, Clock, Environment, KdfParams, SeededEntropy};
use karte_test_support::{PASSPHRASE, START, yamada};
use karte_types::{Credentials, DraftInput, EnrolRequest, Settings, Timestamp};

use crate::hub::TestHub;
use crate::support::TempVault;
use crate::support::call;

/// A clock the test moves by hand.
#[derive(Clone, Default)]
struct HandClock(Arc<AtomicI64>);

impl HandClock {
    fn advance_minutes(&self, minutes: i64) {
        self.0.fetch_add(minutes * 60_000, Ordering::SeqCst);
    }
}

impl Clock for HandClock {
    fn now(&self) -> Timestamp {
        Timestamp(START.0 + self.0.load(Ordering::SeqCst))
    }
}

fn app(vault: &TempVault, clock: &HandClock) -> App {
    let clock = clock.clone();
    App::new(
        vault.path(),
        KdfParams::insecure_fast_for_tests(),
        move || Environment {
            clock: Box::new(clock.clone()),
            entropy: Box::new(SeededEntropy::new(7)),
        },
    )
}

fn credentials(user: Option<&str>, passphrase: &[u8]) -> Credentials {
    Credentials::new(user, std::str::from_utf8(passphrase).unwrap())
}

#[test]
fn first_run_creates_the_vault_and_later_runs_unlock_it() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    let state = app.session_state().unwrap();
    assert!(!state.vault_exists && !state.unlocked);
    let user = app.create(&credentials(Some("sato"), PASSPHRASE)).unwrap();
    assert_eq!((user.name.as_str(), user.role.as_str()), ("sato", "admin"));
    let id = app.with_session(|s| s.add_patient(&yamada())).unwrap();
    assert!(app.lock().unwrap().was_unlocked);
    let state = app.session_state().unwrap();
    assert!(state.vault_exists && !state.unlocked);
    assert_eq!(state.users, ["sato"]);
    let locked = app.with_session(|s| s.chart(&id)).unwrap_err();
    assert_eq!(locked.code(), "locked");
    let wrong = app.unlock(&credentials(None, b"wrong")).unwrap_err();
    assert_eq!(wrong.code(), "wrong_passphrase");
    app.unlock(&credentials(None, PASSPHRASE)).unwrap();
    assert_eq!(app.with_session(|s| s.chart(&id)).unwrap().id, id);
    let again = app.create(&credentials(None, PASSPHRASE)).unwrap_err();
    assert_eq!(again.code(), "already_exists");
}

#[test]
fn the_vault_locks_itself_after_the_auto_lock_time_without_use() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    app.create(&credentials(None, PASSPHRASE)).unwrap();
    clock.advance_minutes(4);
    assert!(!app.lock_if_idle());
    app.with_session(|s| s.patients("")).unwrap();
    clock.advance_minutes(4);
    // Four minutes since the last use: still open.
    assert!(app.with_session(|s| s.patients("")).is_ok());
    // Background sync state does not count as use.
    clock.advance_minutes(3);
    assert!(app.sync_state().is_ok());
    clock.advance_minutes(2);
    assert_eq!(app.sync_state().unwrap_err().code(), "locked");
    assert!(!app.session_state().unwrap().unlocked);
}

#[test]
fn the_auto_lock_time_is_a_setting_kept_in_the_vault() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    app.create(&credentials(None, PASSPHRASE)).unwrap();
    assert_eq!(app.settings().unwrap(), Settings::default());
    let bad = app.save_settings(&Settings {
        auto_lock_minutes: 0,
        ..Settings::default()
    });
    assert_eq!(bad.unwrap_err().code(), "invalid_input");
    app.save_settings(&Settings {
        auto_lock_minutes: 1,
        night_mode: true,
        japanese_era: true,
    })
    .unwrap();
    app.lock().unwrap();
    app.unlock(&credentials(None, PASSPHRASE)).unwrap();
    assert_eq!(app.settings().unwrap().auto_lock_minutes, 1);
    assert!(app.settings().unwrap().night_mode && app.settings().unwrap().japanese_era);
    clock.advance_minutes(1);
    assert!(app.lock_if_idle());
}

#[test]
fn drafts_outlive_locking() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    app.create(&credentials(None, PASSPHRASE)).unwrap();
    let draft = DraftInput {
        text: "{\"s\":\"ふらつきあり\"}".into(),
    };
    app.with_session(|s| s.save_draft("visit-P1", &draft))
        .unwrap();
    app.lock().unwrap();
    app.unlock(&credentials(None, PASSPHRASE)).unwrap();
    let kept = app.with_session(|s| s.draft("visit-P1")).unwrap().unwrap();
    assert_eq!(kept.text, draft.text);
    assert_eq!(kept.saved_at, START);
    app.with_session(|s| s.discard_draft("visit-P1")).unwrap();
    assert_eq!(app.with_session(|s| s.draft("visit-P1")).unwrap(), None);
}

#[test]
fn an_offline_device_reports_no_enrolment_and_sync_says_why() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    app.create(&credentials(None, PASSPHRASE)).unwrap();
    app.with_session(|s| s.add_patient(&yamada())).unwrap();
    let state = app.sync_state().unwrap();
    assert_eq!(state.enrolment, None);
    assert_eq!(state.charts_to_push, 1);
    assert_eq!(app.sync().unwrap_err().code(), "not_enrolled");
    let state = app.sync_state().unwrap();
    assert_eq!(state.last_error.unwrap().code, "not_enrolled");
    assert_eq!(state.last_success, None);
}

#[test]
fn every_operation_is_served_by_name_with_json_arguments() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    let passphrase = std::str::from_utf8(PASSPHRASE).unwrap();
    let user = call(
        &app,
        "create",
        serde_json::json!({"credentials": {"user": "sato", "passphrase": passphrase}}),
    )
    .unwrap();
    assert_eq!(user["name"], "sato");
    let id = call(
        &app,
        "add_patient",
        serde_json::json!({"patient": yamada()}),
    )
    .unwrap();
    let chart = call(&app, "chart", serde_json::json!({"patient": id})).unwrap();
    assert_eq!(chart["patient"]["family"], "山田");
    let listed = call(&app, "patients", serde_json::json!({"search": "やまだ"})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // An operation without arguments takes an empty body as well as `{}`.
    let state = app
        .call("session_state", zeroize::Zeroizing::new(Vec::new()))
        .unwrap();
    assert_eq!(state["unlocked"], true);
    let locked = call(&app, "lock", serde_json::json!({})).unwrap();
    assert_eq!(locked, serde_json::json!({"was_unlocked": true}));
    let refused = call(&app, "chart", serde_json::json!({"patient": id})).unwrap_err();
    assert_eq!(refused.code(), "locked");
}

#[test]
fn an_unknown_operation_or_malformed_arguments_are_told_apart() {
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    let unknown = call(&app, "drop_everything", serde_json::json!({})).unwrap_err();
    assert_eq!(unknown.code(), "unknown_operation");
    assert!(unknown.to_string().contains("drop_everything"));
    let malformed = call(&app, "unlock", serde_json::json!({"credentials": 7})).unwrap_err();
    assert_eq!(malformed.code(), "malformed_request");
    assert!(malformed.to_string().contains("unlock"), "{malformed}");
}

#[test]
fn every_declared_operation_reaches_a_method() {
    // Locked, every operation answers with its own refusal or reply; none
    // is unknown to the dispatch, whatever the list holds.
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    for name in karte_api::types::ops::NAMES {
        if let Err(error) = call(&app, name, serde_json::json!({})) {
            assert_ne!(error.code(), "unknown_operation", "{name}");
        }
    }
}

#[test]
fn a_new_operation_is_one_line_in_the_list_and_one_method() {
    // `echo` exists only with the `throwaway-operation` feature, which this
    // crate's tests turn on: nothing but its line in karte-types and
    // `Session::echo` was written for it.
    let vault = TempVault::new();
    let clock = HandClock::default();
    let app = app(&vault, &clock);
    app.create(&credentials(None, PASSPHRASE)).unwrap();
    let echoed = call(&app, "echo", serde_json::json!({"text": "こんにちは"})).unwrap();
    assert_eq!(echoed, "こんにちは");
}

#[test]
fn credentials_never_print_their_passphrase() {
    let shown = format!("{:?}", credentials(Some("sato"), b"correct horse"));
    assert!(
        shown.contains("sato") && shown.contains("[redacted]"),
        "{shown}"
    );
    assert!(!shown.contains("correct horse"), "{shown}");
}

/// Issue 15: a fresh app said "not synced yet" of a vault synced moments
/// before by another process; the time of the last sync is the vault's.
#[test]
fn a_new_app_shows_when_the_vault_last_synced() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら");
    let vault = TempVault::new();
    let system_app = || {
        App::new(
            vault.path(),
            KdfParams::insecure_fast_for_tests(),
            Environment::system,
        )
    };
    let first = system_app();
    first.create(&credentials(None, PASSPHRASE)).unwrap();
    first.with_session(|s| s.add_patient(&yamada())).unwrap();
    first
        .enrol(&EnrolRequest {
            hub_url: hub.url.clone(),
            code: hub.invite(&org.id),
            device_name: "A".to_owned(),
        })
        .unwrap();
    assert_eq!(first.sync_state().unwrap().last_success, None);
    let before = Environment::system().clock.now();
    first.sync().unwrap();
    let after = Environment::system().clock.now();
    let synced = first.sync_state().unwrap().last_success.unwrap();
    assert!(before <= synced && synced <= after, "{synced:?}");
    first.lock().unwrap();
    drop(first);

    let second = system_app();
    second.unlock(&credentials(None, PASSPHRASE)).unwrap();
    let state = second.sync_state().unwrap();
    assert_eq!(state.last_success, Some(synced));
    assert_eq!(state.last_error, None);
}
