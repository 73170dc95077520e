//! Sync end to end: sessions of real vaults enrol at a real hub on
//! 127.0.0.1, converge through it, resume interrupted syncs, share and
//! unshare charts, obey wipe orders, and recover with the organisation's key.

use karte_api::{Environment, Session};
use karte_hub::Org;
use karte_sync::wire::WipeOrder;
use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::PatientId;

use crate::hub::{Breaking, Device, Misdigesting, TestHub};

/// A hub with one organisation, さくら, and devices enrolled in it.
fn one_org<const N: usize>(names: [&str; N]) -> (TestHub, Org, [Device; N]) {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら");
    let devices = names.map(|name| Device::enrolled(&hub, &org.id, name));
    (hub, org, devices)
}

/// A and B each give the patient a different phone number, offline.
fn concurrent_phones(a: &mut Device, b: &mut Device, patient: &PatientId) {
    for (device, phone) in [(a, "0266-41-1111"), (b, "0266-41-2222")] {
        let mut edited = yamada();
        edited.phone = Some(phone.into());
        device.session.update_patient(patient, &edited).unwrap();
    }
}

fn chart_json(device: &mut Device, patient: &PatientId) -> serde_json::Value {
    serde_json::to_value(device.session.chart(patient).unwrap()).unwrap()
}

#[test]
fn two_devices_of_one_org_converge_and_a_quiet_sync_is_one_small_round() {
    let hub = TestHub::start();
    let (org, _key) = hub.add_org("訪問看護ステーションさくら");
    let mut a = Device::enrolled(&hub, &org.id, "tablet A");
    let mut b = Device::enrolled(&hub, &org.id, "tablet B");
    let enrolment = a.session.enrolment().unwrap().unwrap();
    assert_eq!(
        (enrolment.org_id.as_str(), enrolment.org_name.as_str()),
        (org.id.as_str(), "訪問看護ステーションさくら")
    );

    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    let first = a.sync();
    // A chart new to the hub goes whole, under the signature of its tip.
    assert_eq!(
        (
            first.pushed_changes,
            first.pushed_charts,
            first.pushed_whole
        ),
        (0, 1, 1),
        "{first}"
    );
    assert_eq!(a.session.sync_status().unwrap().charts_to_push, 0);

    let fresh = b.sync();
    assert_eq!(fresh.received_whole, 1, "{fresh}");
    b.session.record_visit(&patient, &visit(120, 80)).unwrap();
    let pushed = b.sync();
    assert_eq!(pushed.pushed_changes, 1, "only B's visit: {pushed}");
    a.sync();
    assert_eq!(chart_json(&mut a, &patient), chart_json(&mut b, &patient));
    assert_eq!(a.session.chart(&patient).unwrap().visits.len(), 2);

    let quiet = a.sync();
    assert_eq!(quiet.requests, 1);
    assert!(quiet.bytes_sent + quiet.bytes_received < 1024, "{quiet}");
    assert!(quiet.to_string().starts_with("pushed 0 changes"), "{quiet}");
    let log = a.session.audit_log(&Some(patient.clone())).unwrap();
    assert!(
        log.iter()
            .any(|e| e.event.action == karte_api::AuditAction::Sync),
        "syncs of the chart are audited"
    );
}

#[test]
fn concurrent_edits_become_the_same_review_item_on_both_devices() {
    let (_hub, _org, [mut a, mut b]) = one_org(["A", "B"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    b.sync();
    concurrent_phones(&mut a, &mut b, &patient);
    a.sync();
    let merged = b.sync();
    assert_eq!(merged.new_reviews, 1, "{merged}");
    a.sync();
    let on_a = a.session.chart(&patient).unwrap();
    let on_b = b.session.chart(&patient).unwrap();
    assert_eq!(on_a.open_reviews().count(), 1);
    assert_eq!(on_a.reviews, on_b.reviews);
    assert_eq!(on_a.reviews[0].values.len(), 2);
}

#[test]
fn an_interrupted_sync_resumes_without_losing_or_duplicating_anything() {
    let hub = TestHub::with_pages_of(3_000);
    let (org, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &org.id, "A");
    let mut b = Device::enrolled(&hub, &org.id, "B");
    let mut c = Device::enrolled(&hub, &org.id, "C");
    let patients = a.session.demo_limited(8, 7, Some(4), |_| {}).unwrap();

    // A's push reaches the hub but the answer is lost: nothing is
    // acknowledged, so the next sync pushes again and the hub keeps one copy.
    let mut lossy = Breaking::new(&hub, 0);
    lossy.lose_answers = true;
    let error = a.sync_over(&mut lossy).unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    let head = hub.feed_head();
    assert!(head > 0, "the hub stored the push");
    assert_eq!(a.session.sync_status().unwrap().charts_to_push, 8);
    a.sync();
    assert_eq!(hub.feed_head(), head, "nothing was stored twice");
    assert_eq!(a.session.sync_status().unwrap().charts_to_push, 0);

    // What a fresh device's whole first sync takes, uninterrupted.
    let whole = c.sync();
    assert!(whole.requests > 4, "several pages: {whole}");

    // B's first sync breaks after three pages; those stay, even across a
    // restart, and the next sync fetches only the pages after them.
    let error = b.sync_over(&mut Breaking::new(&hub, 3)).unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    let mut b = b.reopen();
    let kept = b.session.patients("").unwrap().len();
    assert!(kept > 0, "the first pages' charts are durable");
    let rest = b.sync();
    assert_eq!(rest.requests, whole.requests - 3, "{rest}");
    assert_eq!(b.session.patients("").unwrap().len(), 8);
    for patient in &patients {
        let on_a = chart_json(&mut a, patient);
        assert_eq!(on_a, chart_json(&mut b, patient));
        assert_eq!(on_a, chart_json(&mut c, patient));
    }
    assert_eq!(hub.feed_head(), head, "B and C had nothing to push");
}

#[test]
fn a_shared_chart_reaches_the_other_organisation_and_leaves_it_when_unshared() {
    let hub = TestHub::start();
    let (clinic, _) = hub.add_org("辰野クリニック");
    let (station, _) = hub.add_org("さくら");
    let mut doctor = Device::enrolled(&hub, &clinic.id, "clinic laptop");
    let mut nurse = Device::enrolled(&hub, &station.id, "station tablet");
    hub.accept_shares(&station.id, &clinic.id);
    let patient = doctor.session.add_patient(&yamada()).unwrap();
    let other = doctor.session.add_patient(&yamada()).unwrap();
    doctor.session.share(&patient, station.id.as_str()).unwrap();
    assert_eq!(doctor.session.sync_status().unwrap().pending_shares, 1);
    let shared = doctor.sync();
    assert_eq!(shared.shares, 1, "{shared}");
    assert_eq!(doctor.session.sync_status().unwrap().pending_shares, 0);

    nurse.sync();
    let seen: Vec<PatientId> = nurse
        .session
        .patients("")
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(
        seen,
        std::slice::from_ref(&patient),
        "only the shared chart, never {other}"
    );

    hub.unshare(&patient, &station.id);
    let removed = nurse.sync();
    assert_eq!(removed.removed_charts, 1, "{removed}");
    assert!(nurse.session.patients("").unwrap().is_empty());
    assert_eq!(
        nurse.session.chart(&patient).unwrap_err().code(),
        "unknown_patient"
    );
}

#[test]
fn a_device_reported_lost_wipes_its_vault_on_next_contact() {
    let (hub, _org, [mut a]) = one_org(["A"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    a.session.record_visit(&patient, &visit(60, 70)).unwrap();
    let head = hub.feed_head();
    let device = karte_types::DeviceId(a.session.author().device.to_string());
    hub.revoke(&device, true);
    let summary = a.sync();
    assert_eq!(summary.wiped, Some(WipeOrder::Lost));
    assert_eq!(hub.feed_head(), head, "a lost device's push is not kept");
    assert!(!a.path().exists());
    assert_eq!(a.session.patients("").unwrap_err().code(), "vault_wiped");
}

#[test]
fn a_retired_device_hands_in_its_unsynced_work_then_wipes() {
    let (hub, _org, [mut a, mut b]) = one_org(["A", "B"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    a.session.record_visit(&patient, &visit(60, 70)).unwrap();
    let device = karte_types::DeviceId(a.session.author().device.to_string());
    hub.revoke(&device, false);
    let summary = a.sync();
    assert_eq!(summary.wiped, Some(WipeOrder::Retired));
    assert!(!a.path().exists());
    b.sync();
    assert_eq!(b.session.chart(&patient).unwrap().visits.len(), 1);
}

#[test]
fn the_recovery_key_opens_a_vault_whose_passphrase_is_forgotten_and_nothing_is_lost() {
    let hub = TestHub::start();
    let (org, recovery_key) = hub.add_org("さくら");
    let (_, other_key) = hub.add_org("よそ");
    let mut a = Device::enrolled(&hub, &org.id, "A");
    let mut b = Device::enrolled(&hub, &org.id, "B");
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    a.session.record_visit(&patient, &visit(60, 70)).unwrap();
    let path = a.path();
    let Device { dir, session } = a;
    session.lock();

    let wrong = Session::recover(
        &path,
        None,
        &other_key.to_file_text(),
        None,
        b"new passphrase",
        Environment::system(),
    )
    .unwrap_err();
    assert_eq!(wrong.code(), "wrong_recovery_key");

    // The organisation keeps its key file protected by a passphrase.
    let protected = recovery_key
        .to_protected_file_text(
            b"kept in the station safe",
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
    let needed = Session::recover(
        &path,
        None,
        &protected,
        None,
        b"a new passphrase, remembered",
        Environment::system(),
    )
    .unwrap_err();
    assert_eq!(needed.code(), "recovery_passphrase_needed");
    let session = Session::recover(
        &path,
        None,
        &protected,
        Some(b"kept in the station safe"),
        b"a new passphrase, remembered",
        Environment::system(),
    )
    .unwrap();
    session.lock();
    assert_eq!(
        Session::open(&path, None, PASSPHRASE, Environment::system())
            .unwrap_err()
            .code(),
        "wrong_passphrase"
    );
    let session = Session::open(
        &path,
        None,
        b"a new passphrase, remembered",
        Environment::system(),
    )
    .unwrap();
    let mut a = Device { dir, session };
    assert_eq!(a.session.chart(&patient).unwrap().visits.len(), 1);
    let pushed = a.sync();
    assert_eq!(pushed.pushed_changes, 1, "the unsynced visit: {pushed}");
    b.sync();
    assert_eq!(b.session.chart(&patient).unwrap().visits.len(), 1);
    let log = a.session.audit_log(&None).unwrap();
    assert!(
        log.iter()
            .any(|e| e.event.action == karte_api::AuditAction::Recovery)
    );
}

#[test]
fn a_vault_never_enrolled_cannot_be_recovered_nor_synced() {
    let hub = TestHub::start();
    let (_, key) = hub.add_org("さくら");
    let mut device = Device::unenrolled();
    assert_eq!(
        device.session.sync(|_| {}).unwrap_err().code(),
        "not_enrolled"
    );
    let path = device.path();
    device.session.lock();
    let error = Session::recover(
        &path,
        None,
        &key.to_file_text(),
        None,
        b"new passphrase",
        Environment::system(),
    )
    .unwrap_err();
    assert_eq!(error.code(), "no_recovery_key");
}

#[test]
fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let mut device = Device::unenrolled();
    let error = device
        .session
        .enrol(
            "http://192.0.2.10:7878",
            "7K3M-Q9TX-2B8R-ZC4W-H6PD",
            "tablet",
        )
        .unwrap_err();
    assert_eq!(error.code(), "plain_http");
    assert!(error.to_string().contains("https://"), "{error}");
    assert_eq!(device.session.enrolment().unwrap(), None);
}

#[test]
fn an_enrolment_code_works_once() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら");
    let code = hub.invite(&org.id);
    let mut a = Device::unenrolled();
    a.session.enrol(&hub.url, &code, "A").unwrap();
    let again = a.session.enrol(&hub.url, &code, "A").unwrap_err();
    assert_eq!(again.code(), "already_enrolled");
    let mut b = Device::unenrolled();
    let used = b.session.enrol(&hub.url, &code, "B").unwrap_err();
    assert_eq!(used.code(), "enrolment_used");
    assert_eq!(b.session.enrolment().unwrap(), None);
}

#[test]
fn a_share_the_hub_refuses_fails_the_sync_until_it_is_withdrawn() {
    let (_hub, _org, [mut a]) = one_org(["A"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session
        .share(&patient, "01JNOSUCHORG00000000000000")
        .unwrap();
    let refused = a.session.sync(|_| {}).unwrap_err();
    assert_eq!(refused.code(), "unknown_org", "{refused}");
    assert_eq!(a.session.sync_status().unwrap().charts_to_push, 1);
    a.session
        .withdraw_share(&patient, "01JNOSUCHORG00000000000000")
        .unwrap();
    let summary = a.sync();
    assert_eq!(summary.pushed_charts, 1, "{summary}");
}

#[test]
fn a_chart_edited_offline_and_then_unshared_hands_in_the_edit_before_it_leaves() {
    let hub = TestHub::start();
    let (clinic, _) = hub.add_org("辰野クリニック");
    let (station, _) = hub.add_org("さくら");
    let mut doctor = Device::enrolled(&hub, &clinic.id, "clinic laptop");
    let mut nurse = Device::enrolled(&hub, &station.id, "station tablet");
    hub.accept_shares(&station.id, &clinic.id);
    let patient = doctor.session.add_patient(&yamada()).unwrap();
    doctor.session.share(&patient, station.id.as_str()).unwrap();
    doctor.sync();
    nurse.sync();
    // The nurse records a visit offline; meanwhile the chart is unshared.
    nurse
        .session
        .record_visit(&patient, &visit(60, 70))
        .unwrap();
    hub.unshare(&patient, &station.id);
    let summary = nurse.sync();
    assert_eq!(
        (summary.pushed_changes, summary.removed_charts),
        (1, 1),
        "{summary}"
    );
    assert!(nurse.session.patients("").unwrap().is_empty());
    doctor.sync();
    assert_eq!(doctor.session.chart(&patient).unwrap().visits.len(), 1);
}

#[test]
fn sync_runs_over_https_with_the_hubs_certificate_trusted() {
    let (hub, certificate) = TestHub::with_tls();
    let (org, _) = hub.add_org("さくら");
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let mut device = Device::unenrolled();
    let mut transport = karte_api::HttpTransport::with_roots(&hub.url, &certificate).unwrap();
    let code = hub.invite(&org.id);
    device
        .session
        .enrol_with(&mut transport, &hub.url, &code, "tablet")
        .unwrap();
    let patient = device.session.add_patient(&yamada()).unwrap();
    let summary = device.sync_over(&mut transport).unwrap();
    assert_eq!(summary.pushed_charts, 1, "{summary}");

    // Without the certificate trusted, the hub is not believed.
    let mut untrusting = karte_api::HttpTransport::new(&hub.url).unwrap();
    let error = device.sync_over(&mut untrusting).unwrap_err();
    assert_eq!(error.code(), "hub_unreachable", "{error}");
    assert_eq!(device.session.chart(&patient).unwrap().visits.len(), 0);
}

#[test]
fn a_fresh_device_stores_charts_sent_whole_as_they_came_and_records_what_they_hold() {
    let (hub, org, [mut a, mut b]) = one_org(["A", "B"]);
    a.session.demo_limited(4, 3, Some(5), |_| {}).unwrap();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    b.sync();
    // Concurrent phone numbers reach the hub, and no device has merged them:
    // B's push is stored but its answer is lost.
    concurrent_phones(&mut a, &mut b, &patient);
    a.sync();
    let mut lossy = Breaking::new(&hub, 0);
    lossy.lose_answers = true;
    b.sync_over(&mut lossy).unwrap_err();

    let mut c = Device::enrolled(&hub, &org.id, "C");
    let fresh = c.sync();
    assert_eq!((fresh.received_whole, fresh.new_reviews), (5, 1), "{fresh}");
    assert_eq!(fresh.pushed_charts, 1, "C's review item: {fresh}");
    let review = c.session.chart(&patient).unwrap().reviews;
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].values.len(), 2);
    b.sync();
    a.sync();
    c.sync();
    assert_eq!(
        c.session.patients("").unwrap(),
        a.session.patients("").unwrap()
    );
    let mut c = c.reopen();
    for summary in a.session.patients("").unwrap() {
        assert_eq!(
            chart_json(&mut c, &summary.id),
            chart_json(&mut a, &summary.id)
        );
        assert_eq!(
            chart_json(&mut b, &summary.id),
            chart_json(&mut a, &summary.id)
        );
    }
    assert_eq!(c.session.sync_status().unwrap().charts_to_push, 0);
    let log = c.session.audit_log(&None).unwrap();
    assert!(
        log.iter()
            .filter(|e| e.event.detail == "received whole")
            .count()
            >= 5
    );
}

#[test]
fn a_quiet_sync_writes_nothing_to_the_vault() {
    let (_hub, _org, [mut a, mut b]) = one_org(["A", "B"]);
    a.session.add_patient(&yamada()).unwrap();
    a.sync();
    b.sync();
    let before = b.session.audit_log(&None).unwrap();
    let quiet = b.sync();
    assert_eq!(quiet.requests, 1);
    assert!(!quiet.moved_anything(), "{quiet}");
    assert_eq!(b.session.audit_log(&None).unwrap(), before);
    // A sync that moves something is audited as before.
    a.session.add_patient(&yamada()).unwrap();
    a.sync();
    b.sync();
    assert!(b.session.audit_log(&None).unwrap().len() > before.len());
}

#[test]
fn a_list_entry_the_hub_sent_wrong_is_corrected_when_the_chart_is_first_opened() {
    let (hub, org, [mut a]) = one_org(["A"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    a.sync();

    // A chart this small has no cached snapshot: the first sync that needs
    // it saves it and works out its digest at once, so it comes with one.
    let mut c = Device::enrolled(&hub, &org.id, "C");
    let mut link = Misdigesting(karte_api::HttpTransport::new(&hub.url).unwrap());
    let fresh = c.sync_over(&mut link).unwrap();
    assert_eq!(fresh.received_whole, 1, "{fresh}");
    let listed = c.session.patients("").unwrap();
    assert_eq!(
        listed[0].family, "偽",
        "filed unloaded, with the hub's entry"
    );

    c.session.chart(&patient).unwrap();
    let truth = a.session.patients("").unwrap();
    assert_eq!(c.session.patients("").unwrap(), truth);
    let mut c = c.reopen();
    assert_eq!(c.session.patients("").unwrap(), truth);
}

#[test]
fn a_recovery_key_changed_in_the_hubs_database_is_refused_at_enrolment() {
    let hub = TestHub::start();
    let (org, _key) = hub.add_org("さくら訪問看護");
    let code = hub.invite(&org.id);
    hub.replace_recovery_key(&org.id);
    let mut device = Device::unenrolled();
    let refused = device.session.enrol(&hub.url, &code, "tablet").unwrap_err();
    assert_eq!(refused.code(), "recovery_key_mismatch", "{refused}");
    assert!(
        device.session.enrolment().unwrap().is_none(),
        "nothing stored"
    );
    // A code without the fingerprint (an older hub's) says what to do.
    let short: String = code.chars().take(24).collect();
    let error = device
        .session
        .enrol(&hub.url, &short, "tablet")
        .unwrap_err();
    assert_eq!(error.code(), "invalid_input");
    assert!(error.to_string().contains("ask for a new one"), "{error}");
}

/// Regression: a demo patient without visits was created now with its
/// history recorded two years before, which the hub refuses as dated
/// before the chart existed.
#[test]
fn demo_patients_without_visits_are_taken_by_the_hub() {
    let (_hub, _org, [mut a]) = one_org(["A"]);
    let patients = a.session.demo_limited(4, 11, Some(0), |_| {}).unwrap();
    let summary = a
        .session
        .sync(|_| {})
        .unwrap_or_else(|e| panic!("{} ({e})", e.code()));
    assert_eq!(summary.pushed_charts, patients.len(), "{summary}");
}

#[test]
fn the_devices_audit_log_reaches_the_hub_at_each_sync_and_only_once() {
    let (hub, _org, [mut a]) = one_org(["tablet A"]);
    let patient = a.session.add_patient(&yamada()).unwrap();
    let device = a.session.audit_log(&None).unwrap()[0].device.clone();
    a.session.chart(&patient).unwrap();
    a.sync();
    let log = a.session.audit_log(&None).unwrap();
    let held = hub.device_audit(&device);
    // What the sync itself wrote in the log goes with the next one.
    assert!(!held.is_empty() && held.len() < log.len(), "{}", held.len());
    for (held, entry) in held.iter().zip(&log) {
        assert_eq!(held.record.entry().as_ref(), Some(entry));
    }
    a.sync();
    let log = a.session.audit_log(&None).unwrap();
    let held = hub.device_audit(&device);
    assert_eq!(held.len(), log.len());
    assert_eq!(held.last().unwrap().record.hash, log.last().unwrap().hash);
    // A quiet sync writes nothing to the log, and sends nothing again.
    a.sync();
    assert_eq!(a.session.audit_log(&None).unwrap().len(), log.len());
    assert_eq!(hub.device_audit(&device).len(), log.len());
}

#[test]
fn every_change_received_or_pushed_keeps_its_authors_signature_in_the_vault() {
    let (hub, _org, [mut a, mut b]) = one_org(["A", "B"]);
    let (a_id, b_id) = (device_id(&a), device_id(&b));
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.sync();
    // A chart new to B comes whole, vouched for by the hub.
    assert_eq!(b.sync().received_whole, 1);
    a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    a.sync();
    let received = b.sync();
    assert_eq!(received.received_changes, 1, "{received}");
    b.session.record_visit(&patient, &visit(120, 80)).unwrap();
    b.sync();

    let (_b, kept) = b.kept_signatures(&patient);
    let authors: Vec<&str> = kept.iter().map(|k| k.author.as_str()).collect();
    assert_eq!(authors, [a_id.as_str(), b_id.as_str()]);
    // Each is the signature the hub holds: the author's own.
    let held = hub.chart(&patient);
    for record in &kept {
        assert!(
            held.get_change_meta_by_hash(&automerge::ChangeHash(record.hash))
                .is_some()
        );
    }
    a.sync();
    let (_a, kept_by_a) = a.kept_signatures(&patient);
    assert_eq!(kept_by_a.len(), 3, "A's two pushed and B's one received");
}

fn device_id(device: &Device) -> karte_types::DeviceId {
    karte_types::DeviceId(device.session.author().device.to_string())
}

/// Issue 11, item 14: a hub restored from a backup gets back, from the
/// devices, every change made after the backup, each attributed to the
/// device that wrote it, and no device loses or duplicates anything.
#[test]
fn a_hub_restored_from_a_backup_gets_every_later_change_back_from_the_devices() {
    let (hub, org, [mut a, mut b, mut c]) = one_org(["A", "B", "C"]);
    let first = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&first, &visit(60, 70)).unwrap();
    for device in [&mut a, &mut b, &mut c] {
        device.sync();
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("hub.backup");
    hub.backup(&backup);

    // After the backup: a visit by A, a visit by B, a new chart by C, all
    // synced everywhere through the hub that is about to be lost.
    a.session.record_visit(&first, &visit(120, 72)).unwrap();
    a.sync();
    b.session.record_visit(&first, &visit(180, 74)).unwrap();
    b.sync();
    let second = c.session.add_patient(&yamada()).unwrap();
    c.session.record_visit(&second, &visit(240, 76)).unwrap();
    c.sync();
    for device in [&mut a, &mut b, &mut c] {
        device.sync();
    }
    let before: Vec<_> = [&mut a, &mut b, &mut c]
        .map(|device| (chart_json(device, &first), chart_json(device, &second)))
        .into_iter()
        .collect();
    assert_eq!(before[0], before[1]);
    assert_eq!(before[1], before[2]);
    drop(hub);

    let restored = TestHub::restored(&backup);
    let over = |device: &mut Device| {
        let mut link = karte_api::HttpTransport::with_roots(&restored.url, &[]).unwrap();
        device
            .sync_over(&mut link)
            .unwrap_or_else(|e| panic!("sync failed: {} ({e})", e.code()))
    };
    // A first: it hands back its visit and B's (with B's signature); it
    // cannot hand back C's chart, which it received whole.
    assert_eq!(restored.stored_changes(&first).len(), 2, "the backup's");
    let handed = over(&mut a);
    assert!(handed.pushed_changes >= 2, "{handed}");
    assert_eq!(restored.stored_changes(&first).len(), 4, "{handed}");
    assert!(restored.stored_changes(&second).is_empty());
    over(&mut b);
    over(&mut c);
    // A second round: every device has read what the others gave back.
    for device in [&mut a, &mut b, &mut c] {
        over(device);
    }

    for doc in [&first, &second] {
        let stored = restored.stored_changes(doc);
        let mut hashes: Vec<_> = stored.iter().map(|c| c.hash).collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), stored.len(), "nothing stored twice");
        for change in &stored {
            let parsed = automerge::Change::try_from(&change.bytes[..]).unwrap();
            assert!(
                karte_record::actor_is_of_device(parsed.actor_id(), &change.signer),
                "change {:?} of {doc} is attributed to {}, who did not write it",
                change.hash,
                change.signer
            );
        }
        for device in [&mut a, &mut b, &mut c] {
            let visits = device.session.chart(doc).unwrap().visits.len();
            assert_eq!(visits, if doc == &first { 3 } else { 1 });
        }
    }
    let after: Vec<_> = [&mut a, &mut b, &mut c]
        .map(|device| (chart_json(device, &first), chart_json(device, &second)))
        .into_iter()
        .collect();
    assert_eq!(after, before, "no device lost or duplicated anything");
    // The hub holds everything: a device enrolled now receives the same.
    let mut fresh = Device::enrolled(&restored, &org.id, "D");
    fresh.sync();
    assert_eq!(
        (
            chart_json(&mut fresh, &first),
            chart_json(&mut fresh, &second)
        ),
        before[0]
    );
    for device in [&mut a, &mut b, &mut c] {
        let quiet = over(device);
        assert_eq!(quiet.pushed_changes, 0, "{quiet}");
    }
}

/// Issue 11, item 6: a chart the hub does not hold goes whole, under the
/// signature of its tip alone; the vault keeps that signature, and the hub
/// stores every change under the device, the tip signed and the rest
/// vouched for by it.
#[test]
fn a_chart_new_to_the_hub_goes_whole_and_its_tip_signature_is_kept() {
    let (hub, _org, [mut a, mut b]) = one_org(["A", "B"]);
    let a_id = device_id(&a);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    a.session.record_visit(&patient, &visit(120, 74)).unwrap();
    let pushed = a.sync();
    assert_eq!(
        (pushed.pushed_whole, pushed.pushed_changes),
        (1, 0),
        "{pushed}"
    );
    let stored = hub.stored_changes(&patient);
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|change| change.signer == a_id));
    let signed: Vec<[u8; 32]> = stored
        .iter()
        .filter(|change| !change.signature.is_empty())
        .map(|change| change.hash)
        .collect();
    let (mut a, kept) = a.kept_signatures(&patient);
    assert_eq!(kept.len(), 1, "the tip's signature alone");
    assert_eq!(signed, [kept[0].hash], "the hub holds the same one");
    // Another device receives the chart as A holds it.
    b.sync();
    assert_eq!(chart_json(&mut a, &patient), chart_json(&mut b, &patient));
}
