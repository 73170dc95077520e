//! Encryption at rest (issue 11, item 7): what a stolen hub disk or a
//! database dump shows of the charts, a ciphertext moved to another row, a
//! wrong master key, a database written in clear, and the SQLite files'
//! permissions.

use karte_hub::{AtRest, HubConfig, HubStore, MasterKeyFile, StoreConfig};
use karte_types::{Date, Demographics, PatientId, Sex};
use rand::Rng;
use zeroize::Zeroizing;

use crate::backend::{Backend, Sqlite};
use crate::harness::TestHub;
use crate::support::*;

/// A patient whose names and birth date are picked now, at random: no
/// test data or fixed string can match them by chance.
fn random_patient(rng: &mut impl Rng) -> Demographics {
    let kanji = |rng: &mut dyn rand::RngCore, n: usize| -> String {
        (0..n)
            .map(|_| char::from_u32(rng.random_range(0x4E00..0x9FA0)).unwrap())
            .collect()
    };
    let kana = |rng: &mut dyn rand::RngCore, n: usize| -> String {
        (0..n)
            .map(|_| char::from_u32(rng.random_range(0x30A2..0x30F3)).unwrap())
            .collect()
    };
    Demographics {
        family: kanji(rng, 3),
        given: kanji(rng, 3),
        family_kana: kana(rng, 6),
        given_kana: kana(rng, 6),
        birth: Date::from_ymd(
            rng.random_range(1920..1960),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap(),
        sex: Sex::Female,
        address: None,
        phone: None,
        insurance_number: None,
        care_level: None,
    }
}

/// What must not be found of `patient`: each name and the birth date, as
/// UTF-8 and as the hex a dump writes of a byte column.
fn needles(patient: &Demographics) -> Vec<Vec<u8>> {
    let texts = [
        patient.family.clone(),
        patient.given.clone(),
        patient.family_kana.clone(),
        patient.given_kana.clone(),
        patient.birth.to_string(),
    ];
    texts
        .iter()
        .flat_map(|text| [text.as_bytes().to_vec(), hex::encode(text).into_bytes()])
        .collect()
}

fn found_in(haystack: &[u8], needles: &[Vec<u8>]) -> Vec<String> {
    needles
        .iter()
        .filter(|needle| haystack.windows(needle.len()).any(|w| w == &needle[..]))
        .map(|needle| String::from_utf8_lossy(needle).into_owned())
        .collect()
}

/// Makes three charts of random patients on one device, syncs them
/// through a hub stored as `store_config` says, brings a second device up
/// from nothing, and returns what of the patients the database shows.
async fn what_the_database_shows<B: Backend>(store_config: StoreConfig) -> Vec<String> {
    let hub = TestHub::<B>::start_stored(store_config, HubConfig::default()).await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut rng = rand::rng();
    let patients: Vec<(PatientId, Demographics)> = (0..3)
        .map(|i| {
            let patient = random_patient(&mut rng);
            (tablet.create_chart_of(&format!("p{i}"), &patient), patient)
        })
        .collect();
    for (doc, _) in &patients {
        tablet.record_visit(doc, 72);
    }
    tablet.sync(&hub).await;
    hub.arrivals_settled().await;

    // A device syncing afresh gets every chart whole and intact.
    let mut laptop = hub.enrol(&org.id, "laptop").await;
    laptop.sync(&hub).await;
    hub.arrivals_settled().await;
    for (doc, patient) in &patients {
        let summary = laptop.charts[doc].summary().unwrap();
        assert_eq!(
            (
                &summary.family,
                &summary.given,
                &summary.family_kana,
                &summary.given_kana,
                summary.birth
            ),
            (
                &patient.family,
                &patient.given,
                &patient.family_kana,
                &patient.given_kana,
                patient.birth
            )
        );
        assert_eq!(laptop.heads(doc), tablet.heads(doc));
    }
    let snapshots = cached_arrivals(&hub, &patients).await;
    assert!(snapshots > 0, "the hub caches snapshots (and digests) too");

    let dump = hub.dump().await;
    let all: Vec<Vec<u8>> = patients.iter().flat_map(|(_, p)| needles(p)).collect();
    found_in(&dump, &all)
}

/// How many of the charts have a cached snapshot with its arrival.
async fn cached_arrivals<B: Backend>(
    hub: &TestHub<B>,
    patients: &[(PatientId, Demographics)],
) -> usize {
    let mut count = 0;
    for (doc, _) in patients {
        if let Some(snapshot) = hub.store.snapshot(doc).await.unwrap() {
            count += usize::from(snapshot.arrival.is_some());
        }
    }
    count
}

pub async fn a_stolen_database_shows_no_patient<B: Backend>() {
    let found = what_the_database_shows::<B>(sealed()).await;
    assert_eq!(
        found,
        Vec::<String>::new(),
        "patient data on the hub's disk"
    );
}

/// The same search finds the patients in a database stored in clear: it
/// would catch a payload left unsealed.
pub async fn the_search_finds_patients_stored_in_clear<B: Backend>() {
    let clear = StoreConfig {
        at_rest: AtRest::ClearForBenchmarks,
        ..StoreConfig::default()
    };
    let found = what_the_database_shows::<B>(clear).await;
    assert!(found.len() >= 3 * 5, "found only {found:?}");
}

pub async fn a_ciphertext_moved_to_another_row_is_refused<B: Backend>() {
    let (backend, store) = crate::backend::fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let (a, b) = (doc_id("a"), doc_id("b"));
    store
        .store_push(&tablet, vec![changes(&a, 0, 1), changes(&b, 0, 1)], NOW)
        .await
        .unwrap();
    store
        .put_snapshot(
            &a,
            &karte_hub::Snapshot {
                bytes: b"snapshot of a".to_vec(),
                up_to: 1,
                arrival: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.doc_changes(&b, 0).await.unwrap()[0].bytes,
        change(&b, 0, 0).bytes
    );

    // An intruder copies chart a's change over chart b's.
    backend
        .raw_execute(&format!(
            "UPDATE changes SET bytes = (SELECT bytes FROM changes WHERE doc = '{a}')
             WHERE doc = '{b}'"
        ))
        .await
        .unwrap();
    let error = store.doc_changes(&b, 0).await.unwrap_err();
    assert_eq!(error.code(), "tampered", "{error}");
    let error = store.read_feed(&station, 0, 1 << 20).await.unwrap_err();
    assert_eq!(error.code(), "tampered", "{error}");
    assert_eq!(
        store.doc_changes(&a, 0).await.unwrap()[0].bytes,
        change(&a, 0, 0).bytes,
        "the row left alone still opens"
    );

    // An older snapshot put back under a newer position does not open.
    backend
        .raw_execute(&format!("UPDATE snapshots SET up_to = 2 WHERE doc = '{a}'"))
        .await
        .unwrap();
    let error = store.snapshot(&a).await.unwrap_err();
    assert_eq!(error.code(), "tampered", "{error}");
}

pub async fn a_wrong_master_key_is_refused_at_start<B: Backend>() {
    let (backend, store) = crate::backend::fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    store
        .store_push(&tablet, vec![changes(&doc_id("a"), 0, 2)], NOW)
        .await
        .unwrap();
    let other = MasterKeyFile::from_bytes(Zeroizing::new([0xa5; 32]));
    let error = backend.open(StoreConfig::sealed(other)).await.unwrap_err();
    assert_eq!(error.code(), "wrong_master_key", "{error}");
    // Also before any chart was stored: the key is checked at first start.
    let (backend, _store) = crate::backend::fresh::<B>().await;
    let other = MasterKeyFile::from_bytes(Zeroizing::new([0xa5; 32]));
    let error = backend.open(StoreConfig::sealed(other)).await.unwrap_err();
    assert_eq!(error.code(), "wrong_master_key", "{error}");
    // The right key still opens it.
    backend.open(sealed()).await.unwrap();
}

pub async fn a_database_stored_in_clear_is_refused_and_one_without_key_serves_no_chart<
    B: Backend,
>() {
    let backend = B::empty().await;
    let clear = backend
        .open(StoreConfig {
            at_rest: AtRest::ClearForBenchmarks,
            ..StoreConfig::default()
        })
        .await
        .unwrap();
    let station = add_org(&clear, "station").await;
    let tablet = enrol(&clear, &station, "tablet").await;
    clear
        .store_push(&tablet, vec![changes(&doc_id("a"), 0, 1)], NOW)
        .await
        .unwrap();
    let error = backend.open(sealed()).await.unwrap_err();
    assert_eq!(error.code(), "clear_database", "{error}");

    let (backend, store) = crate::backend::fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let admin = backend.open(StoreConfig::default()).await.unwrap();
    assert_eq!(admin.list_orgs().await.unwrap().len(), 1);
    let error = admin
        .store_push(&tablet, vec![changes(&doc_id("a"), 0, 1)], NOW)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "no_master_key", "{error}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_files_are_the_hub_users_alone() {
    use std::os::unix::fs::PermissionsExt;

    let backend = Sqlite::empty().await;
    let store = backend.open(sealed()).await.unwrap();
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    store
        .store_push(&tablet, vec![changes(&doc_id("a"), 0, 1)], NOW)
        .await
        .unwrap();
    for path in backend.files() {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}
