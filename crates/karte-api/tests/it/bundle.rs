//! Carried bundles between devices of one organisation, with real vaults
//! and a real hub on 127.0.0.1 (which gives the devices their certs and
//! takes the relayed charts): a bundle converges, a bad one changes
//! nothing, a `--since-last` one follows a full one, and a chart carried
//! by hand reaches the hub credited to the device that wrote it.

use std::path::PathBuf;

use karte_api::bundle_file::{BundleSender, write_bundle};
use karte_sync::DeviceKey;
use karte_sync::bundle::{BundleRecord, encode_body};
use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::{BundleImported, DeviceId, ErrorCode, PatientId};

use crate::hub::{Device, TestHub};

/// Three devices of one organisation that have each synced once, so each
/// holds the others' certs; and a device of another organisation.
struct Team {
    hub: TestHub,
    org: karte_hub::OrgId,
    a: Device,
    b: Device,
    c: Device,
}

fn team() -> Team {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &station.id, "a");
    let mut b = Device::enrolled(&hub, &station.id, "b");
    let mut c = Device::enrolled(&hub, &station.id, "c");
    for device in [&mut a, &mut b, &mut c] {
        device.sync();
    }
    Team {
        hub,
        org: station.id,
        a,
        b,
        c,
    }
}

fn out(device: &Device, name: &str) -> PathBuf {
    device.dir.path().join(name)
}

fn export(device: &mut Device, org: &karte_hub::OrgId, since_last: bool, name: &str) -> Vec<u8> {
    let path = out(device, name);
    let made = device
        .session
        .bundle_export(
            org.as_str(),
            &since_last,
            &Some(path.to_string_lossy().into_owned()),
        )
        .unwrap_or_else(|e| panic!("export failed: {} ({e})", e.code()));
    assert_eq!(made.file.as_deref(), Some(path.to_string_lossy().as_ref()));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(made.bytes, bytes.len() as u64);
    assert!(
        !out(device, &format!("{name}.partial")).exists(),
        "no partial file is left"
    );
    bytes
}

fn import(device: &mut Device, file: &[u8]) -> Result<BundleImported, ErrorCode> {
    device
        .session
        .import_bundle(file)
        .map_err(|error| error.code())
}

fn device_id(device: &Device) -> DeviceId {
    device
        .session
        .device_trust()
        .unwrap()
        .own_cert
        .unwrap()
        .open()
        .unwrap()
        .device
}

/// What a refused import must leave as it was.
fn state(device: &mut Device) -> (Vec<karte_types::PatientSummary>, usize, usize) {
    let patients = device.session.patients("").unwrap();
    let audit = device.session.audit_log(&None).unwrap().len();
    let to_push = device.session.sync_status().unwrap().charts_to_push;
    (patients, audit, to_push)
}

fn visits(device: &mut Device, patient: &PatientId) -> usize {
    device.session.chart(patient).unwrap().visits.len()
}

#[test]
fn a_bundle_carries_charts_to_another_device_and_a_second_import_does_nothing() {
    let Team {
        hub: _hub,
        org,
        mut a,
        mut b,
        ..
    } = team();
    let one = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&one, &visit(0, 70)).unwrap();
    let two = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&two, &visit(5, 80)).unwrap();
    let file = export(&mut a, &org, false, "a.kbn");

    let imported = import(&mut b, &file).unwrap();
    assert_eq!((imported.charts, imported.new_charts), (2, 2));
    assert_eq!(imported.sender, device_id(&a));
    assert_eq!(
        b.session.chart(&one).unwrap(),
        a.session.chart(&one).unwrap()
    );
    assert_eq!(visits(&mut b, &two), 1);
    let audit = b.session.audit_log(&None).unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| entry.event.action.to_string() == "import bundle")
    );
    let exported = a.session.audit_log(&None).unwrap();
    assert!(
        exported
            .iter()
            .any(|entry| entry.event.action.to_string() == "export bundle")
    );

    let before = state(&mut b);
    assert_eq!(import(&mut b, &file), Err(ErrorCode::BundleAlreadyImported));
    assert_eq!(state(&mut b), before);

    // Still there when the vault is opened again.
    let mut b = b.reopen();
    assert_eq!(visits(&mut b, &one), 1);
    assert_eq!(import(&mut b, &file), Err(ErrorCode::BundleAlreadyImported));
}

#[test]
fn a_damaged_foreign_revoked_or_misaddressed_bundle_changes_nothing() {
    let Team {
        hub,
        org,
        mut a,
        mut b,
        c: _c,
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(0, 70)).unwrap();
    let file = export(&mut a, &org, false, "a.kbn");
    let before = state(&mut b);

    let mut tampered = file.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x40;
    assert_eq!(import(&mut b, &tampered), Err(ErrorCode::BundleTampered));
    assert_eq!(
        import(&mut b, &file[..file.len() - 100]),
        Err(ErrorCode::BundleTruncated)
    );
    assert_eq!(
        import(&mut b, b"not a bundle"),
        Err(ErrorCode::BundleMalformed)
    );
    assert_eq!(state(&mut b), before);

    // A device of another organisation.
    let (clinic, _) = hub.add_org("診療所");
    let mut x = Device::enrolled(&hub, &clinic.id, "x");
    x.sync();
    let other = x.session.add_patient(&yamada()).unwrap();
    x.session.record_visit(&other, &visit(0, 60)).unwrap();
    let foreign = export(&mut x, &clinic.id, false, "x.kbn");
    assert_eq!(import(&mut b, &foreign), Err(ErrorCode::BundleForeign));
    // Nor can a device make a bundle for another organisation.
    let refused = a
        .session
        .bundle_export(clinic.id.as_str(), &false, &None)
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);

    // A device that enrolled after the bundle was made has no slot in it.
    let mut late = Device::enrolled(&hub, &org, "late");
    late.sync();
    let late_before = state(&mut late);
    assert_eq!(
        import(&mut late, &file),
        Err(ErrorCode::BundleNotForThisDevice)
    );
    assert_eq!(state(&mut late), late_before);

    // The sender is revoked, and B hears of it from the hub.
    hub.revoke(&device_id(&a), true);
    b.sync();
    let before = state(&mut b);
    assert_eq!(import(&mut b, &file), Err(ErrorCode::BundleSenderRevoked));
    assert_eq!(state(&mut b), before);
    assert!(
        b.session
            .patients("")
            .unwrap()
            .iter()
            .all(|p| p.id != patient)
    );
}

/// A's device key, read from its vault as a forger holding it would.
fn device_key(device: Device) -> (Device, DeviceKey) {
    let Device { dir, session } = device;
    session.lock();
    let vault = karte_store::Vault::open(&dir.path().join("vault.karte"))
        .unwrap()
        .unlock("admin", PASSPHRASE)
        .unwrap();
    let key = DeviceKey::from_pkcs8(&vault.device_key().unwrap().unwrap()).unwrap();
    vault.lock();
    let session = karte_api::Session::open(
        &dir.path().join("vault.karte"),
        None,
        PASSPHRASE,
        karte_api::Environment::system(),
    )
    .unwrap();
    (Device { dir, session }, key)
}

#[test]
fn a_bundle_with_one_forged_chart_is_refused_whole() {
    let Team {
        hub: _hub,
        org: _,
        a,
        mut b,
        ..
    } = team();
    let (mut a, key) = device_key(a);
    let good = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&good, &visit(0, 70)).unwrap();
    let bad = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&bad, &visit(0, 90)).unwrap();
    let mut collected = a.session.collect_signed_charts(None, &|_| true).unwrap();
    let forged = collected
        .updates
        .iter_mut()
        .find(|update| update.doc == bad)
        .unwrap();
    forged.signatures[0].signature[3] ^= 1;
    let charts = collected.updates.len() as u32;
    let mut records: Vec<BundleRecord> = collected
        .updates
        .into_iter()
        .map(BundleRecord::Chart)
        .collect();
    records.push(BundleRecord::End {
        charts,
        changes: collected.changes,
    });
    let trust_a = a.session.device_trust().unwrap();
    let trust_b = b.session.device_trust().unwrap();
    let me = device_id(&a);
    let b_cert = trust_b.own_cert.unwrap().open().unwrap();
    let file = write_bundle(
        BundleSender {
            key: &key,
            device: &me,
            certs: vec![trust_a.own_cert.clone().unwrap()],
            created_at_ms: a.session.now().millis(),
            scope: karte_sync::trust::Principal::Org(
                a.session.enrolment().unwrap().unwrap().org_id,
            ),
            base: None,
            up_to_position: 1,
            recipients: vec![(b_cert.device.clone(), b_cert.bundle_key)],
            charts,
            changes: collected.changes,
        },
        &encode_body(&records),
    )
    .unwrap();
    let before = state(&mut b);
    let error = b.session.import_bundle(&file).unwrap_err();
    assert_eq!(error.code(), ErrorCode::BundleRefusedChart);
    assert!(error.to_string().contains(bad.as_str()), "{error}");
    assert_eq!(state(&mut b), before, "the good chart was not taken either");
}

#[test]
fn a_since_last_bundle_follows_a_full_one_and_needs_it() {
    let Team {
        hub: _hub,
        org,
        mut a,
        mut b,
        mut c,
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(0, 70)).unwrap();
    let untouched = a.session.add_patient(&yamada()).unwrap();
    let full = export(&mut a, &org, false, "full.kbn");
    import(&mut b, &full).unwrap();

    a.session.record_visit(&patient, &visit(60, 75)).unwrap();
    let next = export(&mut a, &org, true, "next.kbn");
    assert!(next.len() < full.len(), "{} ≥ {}", next.len(), full.len());
    let imported = import(&mut b, &next).unwrap();
    assert_eq!((imported.charts, imported.new_charts), (1, 0));
    assert_eq!(visits(&mut b, &patient), 2);
    assert!(b.session.chart(&untouched).is_ok());

    // C never took the full bundle: the changes have nothing to follow.
    let before = state(&mut c);
    assert_eq!(import(&mut c, &next), Err(ErrorCode::BundleGap));
    assert_eq!(state(&mut c), before);
    import(&mut c, &full).unwrap();
    import(&mut c, &next).unwrap();
    assert_eq!(visits(&mut c, &patient), 2);

    // Nothing changed since: a since-last bundle carries no chart.
    let empty = a
        .session
        .bundle_export(
            org.as_str(),
            &true,
            &Some(out(&a, "empty.kbn").to_string_lossy().into()),
        )
        .unwrap();
    assert_eq!(empty.charts, 0);
}

#[test]
fn a_chart_carried_by_hand_reaches_the_hub_credited_to_its_author_once() {
    let Team {
        hub,
        org,
        mut a,
        mut b,
        ..
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(0, 70)).unwrap();
    let file = export(&mut a, &org, false, "a.kbn");
    import(&mut b, &file).unwrap();
    // B writes on the chart too before it reaches the hub.
    b.session.record_visit(&patient, &visit(30, 72)).unwrap();

    b.sync();
    let a_id = device_id(&a);
    let b_id = device_id(&b);
    let stored = hub.stored_changes(&patient);
    assert!(!stored.is_empty());
    let a_chart = a.session.chart(&patient).unwrap();
    let by_a = stored.iter().filter(|change| change.signer == a_id).count();
    let by_b = stored.iter().filter(|change| change.signer == b_id).count();
    assert_eq!(
        by_a + by_b,
        stored.len(),
        "every change credited to its author"
    );
    assert!(by_a >= 2 && by_b >= 1, "A: {by_a}, B: {by_b}");
    assert_eq!(a_chart.visits.len(), 1);

    // A syncs later: nothing it wrote is stored twice.
    a.sync();
    let again = hub.stored_changes(&patient);
    assert_eq!(again.len(), stored.len());
    assert_eq!(visits(&mut a, &patient), 2);
    let mut hashes: Vec<_> = again.iter().map(|change| change.hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), again.len());
    // And B has nothing left to push.
    b.sync();
    assert_eq!(b.session.sync_status().unwrap().charts_to_push, 0);
    assert_eq!(hub.stored_changes(&patient).len(), stored.len());
}

#[test]
fn an_export_without_a_file_hands_back_bytes_and_leaves_since_last_alone() {
    let Team {
        hub: _hub,
        org,
        mut a,
        mut b,
        ..
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(0, 70)).unwrap();
    let made = a.session.bundle_export(org.as_str(), &true, &None).unwrap();
    assert!(!made.since_last, "no bundle was written to a file before");
    let bytes = made.bundle.unwrap().0;
    import(&mut b, &bytes).unwrap();
    // The next since-last bundle still starts from nothing.
    let again = a.session.bundle_export(org.as_str(), &true, &None).unwrap();
    assert!(!again.since_last);
    assert_eq!(again.charts, 1);
}

/// One step of the property below.
#[derive(Debug, Clone)]
enum Step {
    /// A device records a visit on a chart it holds (by slot).
    Visit { device: usize, chart: usize },
    /// A device registers a patient with one visit.
    NewPatient { device: usize },
    /// A bundle from one device is imported by another.
    Carry {
        from: usize,
        to: usize,
        since_last: bool,
    },
    /// A device syncs with the hub.
    Sync { device: usize },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0..3usize, 0..4usize).prop_map(|(device, chart)| Step::Visit { device, chart }),
        1 => (0..3usize).prop_map(|device| Step::NewPatient { device }),
        3 => (0..3usize, 0..3usize, any::<bool>())
            .prop_filter("to another device", |(from, to, _)| from != to)
            .prop_map(|(from, to, since_last)| Step::Carry { from, to, since_last }),
        2 => (0..3usize).prop_map(|device| Step::Sync { device }),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 6,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Whatever mix of edits, bundles and hub syncs three devices go
    /// through, once each has synced with the hub they hold the same
    /// charts, with every visit recorded anywhere present exactly once.
    #[test]
    fn edits_bundles_and_syncs_in_any_order_converge(
        steps in proptest::collection::vec(step(), 1..9)
    ) {
        let Team { hub: _hub, org, a, b, c } = team();
        let mut devices = [a, b, c];
        let mut expected: std::collections::BTreeMap<PatientId, Vec<karte_types::EntryId>> =
            Default::default();
        let first = devices[0].session.add_patient(&yamada()).unwrap();
        let entry = devices[0].session.record_visit(&first, &visit(0, 70)).unwrap();
        expected.insert(first.clone(), vec![entry]);
        devices[0].sync();
        for device in &mut devices[1..] {
            device.sync();
        }
        let mut bundles = 0;
        for step in steps {
            match step {
                Step::Visit { device, chart } => {
                    let held: Vec<PatientId> = devices[device]
                        .session
                        .patients("")
                        .unwrap()
                        .into_iter()
                        .map(|p| p.id)
                        .collect();
                    let patient = held[chart % held.len()].clone();
                    let minutes = 10 * expected.values().map(Vec::len).sum::<usize>() as i64;
                    let entry = devices[device]
                        .session
                        .record_visit(&patient, &visit(minutes, 71))
                        .unwrap();
                    expected.entry(patient).or_default().push(entry);
                }
                Step::NewPatient { device } => {
                    let patient = devices[device].session.add_patient(&yamada()).unwrap();
                    let entry = devices[device]
                        .session
                        .record_visit(&patient, &visit(1, 72))
                        .unwrap();
                    expected.insert(patient, vec![entry]);
                }
                Step::Carry { from, to, since_last } => {
                    bundles += 1;
                    let file = export(&mut devices[from], &org, since_last, &format!("{bundles}.kbn"));
                    match import(&mut devices[to], &file) {
                        Ok(_) | Err(ErrorCode::BundleGap) => {}
                        Err(code) => panic!("import refused: {code:?}"),
                    }
                }
                Step::Sync { device } => {
                    devices[device].sync();
                }
            }
        }
        for _ in 0..2 {
            for device in &mut devices {
                device.sync();
            }
        }
        for device in &mut devices {
            let held: Vec<PatientId> =
                device.session.patients("").unwrap().into_iter().map(|p| p.id).collect();
            proptest::prop_assert_eq!(held.len(), expected.len());
            for (patient, entries) in &expected {
                let mut seen: Vec<_> = device
                    .session
                    .chart(patient)
                    .unwrap()
                    .visits
                    .into_iter()
                    .map(|v| v.meta.id)
                    .collect();
                seen.sort();
                let mut want = entries.clone();
                want.sort();
                proptest::prop_assert_eq!(seen, want);
            }
        }
    }
}

#[test]
fn a_chart_received_whole_from_the_hub_travels_as_what_came_after_the_hub() {
    let Team {
        hub,
        org,
        mut a,
        mut b,
        mut c,
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(0, 70)).unwrap();
    a.sync();
    // A device that holds nothing of the chart: enrolled, never synced.
    let mut gone = Device::enrolled(&hub, &org, "gone");
    b.sync();
    c.sync();
    // B holds the chart as the hub sent it whole: no signature of A's
    // changes. B's own visit on it still travels.
    b.session.record_visit(&patient, &visit(30, 75)).unwrap();
    let file = export(&mut b, &org, false, "b.kbn");
    let imported = import(&mut c, &file).unwrap();
    assert_eq!((imported.charts, imported.new_changes), (1, 1));
    assert_eq!(visits(&mut c, &patient), 2);

    // Without the hub's part of the chart, the device is told of the gap;
    // once it has synced, the same bundle goes in.
    let before = state(&mut gone);
    let error = gone.session.import_bundle(&file).unwrap_err();
    assert_eq!(error.code(), ErrorCode::BundleGap, "{error}");
    assert!(
        error.to_string().contains("sync with the hub first"),
        "{error}"
    );
    assert_eq!(state(&mut gone), before);
    gone.sync();
    let imported = import(&mut gone, &file).unwrap();
    assert_eq!(imported.new_changes, 1);
    assert_eq!(visits(&mut gone, &patient), 2);
}

/// A chart a bundle brought that can neither go to the hub whole (too
/// large) nor change by change (the bundle kept only its author's tips'
/// signatures) keeps its relay mark through a sync, which says so, rather
/// than being marked clean with the author's changes never relayed. Once
/// the author reaches the hub itself, the next sync has nothing to relay.
#[test]
fn a_carried_chart_that_cannot_be_relayed_yet_stays_marked_until_its_author_reaches_the_hub() {
    let Team {
        hub,
        org,
        mut a,
        mut b,
        ..
    } = team();
    let patient = a.session.add_patient(&yamada()).unwrap();
    let mut long = visit(0, 70);
    long.soap.subjective = Some(incompressible_text(3_000_000));
    a.session.record_visit(&patient, &long).unwrap();
    a.session.record_visit(&patient, &visit(30, 72)).unwrap();
    let file = export(&mut a, &org, false, "a.kbn");
    import(&mut b, &file).unwrap();

    let first = b.sync();
    assert_eq!(first.unrelayed_charts, 1, "{first:?}");
    assert_eq!(first.pushed_charts, 0, "{first:?}");
    assert!(
        first
            .to_string()
            .contains("1 chart with another device's changes not relayed yet"),
        "{first}"
    );
    assert!(hub.stored_changes(&patient).is_empty());
    assert_eq!(
        b.session.sync_status().unwrap().charts_to_push,
        1,
        "the chart is still to relay"
    );
    let again = b.sync();
    assert_eq!(again.unrelayed_charts, 1, "still marked: {again:?}");

    a.sync();
    let stored = hub.stored_changes(&patient).len();
    assert!(stored > 0);
    // The sync that brings B the hub's copy weighed its pushes before it;
    // the one after finds nothing of A's left to relay.
    b.sync();
    let after = b.sync();
    assert_eq!(after.unrelayed_charts, 0, "{after:?}");
    assert_eq!(after.pushed_changes, 0, "{after:?}");
    assert_eq!(b.session.sync_status().unwrap().charts_to_push, 0);
    assert_eq!(hub.stored_changes(&patient).len(), stored);
}

/// Text that deflate cannot shrink much: a chart holding it saves to
/// about three quarters of its length.
fn incompressible_text(len: usize) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            alphabet[(state % 64) as usize] as char
        })
        .collect()
}
