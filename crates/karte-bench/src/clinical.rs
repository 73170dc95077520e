//! The clinical core's figures: opening a chart, recording a visit, vault
//! size, unlock and search, each beside the same documents in plain,
//! unencrypted SQLite (WAL, `synchronous=FULL`, as the vault).

use std::time::Instant;

use anyhow::Result;
use karte_api::KdfParams;
use karte_api::{Environment, Session};
use karte_record::Chart;
use karte_store::Vault;
use karte_test_support::{PASSPHRASE, visit, yamada};

use crate::Options;
use crate::plain::PlainStore;
use crate::report::{self, Figure, median_ms, time_ms};

pub const NOTES: &[&str] = &[
    "baseline: the same documents in plain unencrypted SQLite (WAL, synchronous=FULL), same run;",
    "for size, the same charts as gzip-compressed FHIR R4 JSON.",
];

/// Runs the clinical-core benchmarks and returns their figures.
pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let mut figures = Vec::new();

    // ---- a vault of demo patients with two years of visits, and one chart of 300 visits ----
    let path = dir.path().join("bench.karte");
    eprintln!(
        "creating {} demo patients with two years of visits …",
        options.patients
    );
    let started = Instant::now();
    let mut session = Session::create(
        &path,
        "bench",
        PASSPHRASE,
        KdfParams::insecure_fast_for_tests(),
        Environment::system(),
    )?;
    session.demo(options.patients, 1, |_| {})?;
    eprintln!("  done in {:.1} s", started.elapsed().as_secs_f64());
    let big = session.add_patient(&yamada())?;
    let mut record_times = Vec::new();
    for i in 0..300 {
        let ms = time_ms(|| {
            Ok(session
                .record_visit(&big, &visit(i * 60, 60 + (i % 40) as u16))
                .map(|_| ())?)
        })?;
        if i >= 300 - options.samples as i64 {
            record_times.push(ms);
        }
    }
    session.lock();

    // ---- the same documents, unencrypted, in plain SQLite ----
    let plain_path = dir.path().join("plain.sqlite");
    let vault = Vault::open(&path)?.unlock("bench", PASSPHRASE)?;
    let mut plain = PlainStore::create(&plain_path)?;
    for id in vault.document_ids()? {
        plain.insert_document(&id, &vault.load_document(&id)?)?;
    }
    plain.insert_index(&vault.patient_index()?)?;

    // Open a chart of 300 visits: decrypt + Automerge load + view, against read + load + view.
    let actor = karte_record::actor_for(vault.device_id(), [7; 16]);
    let open_vault = median_ms(options.samples, || {
        let chunks = vault.load_document(&big)?;
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let chart = Chart::load(actor.clone(), &slices)?;
        assert_eq!(chart.view()?.visits.len(), 300);
        Ok(())
    })?;
    let open_plain = median_ms(options.samples, || {
        let chunks = plain.load_document(&big)?;
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let chart = Chart::load(actor.clone(), &slices)?;
        assert_eq!(chart.view()?.visits.len(), 300);
        Ok(())
    })?;
    figures.push(Figure::new(
        "open a chart with 300 visits (median)",
        open_vault,
        open_plain,
        "< 10 ms, ≤ 1.5× plain",
    ));

    // Record a visit, durable: the same edit, persisted encrypted vs plain.
    let record_vault = report::median(&mut record_times);
    let record_plain = plain.record_visits(&big, actor.clone(), options.samples)?;
    figures.push(Figure::new(
        "record a visit, durable (median)",
        record_vault,
        record_plain,
        "< 5 ms, ≤ 1.5× plain",
    ));
    vault.lock();

    // Vault size against the same charts as gzip-compressed FHIR JSON.
    let mut session = Session::open(&path, None, PASSPHRASE, Environment::system())?;
    let fhir_gzip = report::gzip_len(|out| Ok(session.export_fhir(None, out).map(|_| ())?))?;
    session.lock();
    let vault_bytes = report::files_size(dir.path(), "bench.karte")?;
    figures.push(Figure::bytes(
        "vault size vs gzip FHIR JSON",
        vault_bytes,
        fhir_gzip,
        "≤ 2× gzip FHIR",
    ));

    // ---- search and unlock over many patients ----
    let many_path = dir.path().join("many.karte");
    eprintln!("creating {} patients for search …", options.search_patients);
    let mut many = Session::create(
        &many_path,
        "bench",
        PASSPHRASE,
        KdfParams::insecure_fast_for_tests(),
        Environment::system(),
    )?;
    many.demo_limited(options.search_patients, 2, Some(2), |_| {})?;
    many.lock();
    let many_plain_path = dir.path().join("many-plain.sqlite");
    let mut many_plain = PlainStore::create(&many_plain_path)?;
    {
        let vault = Vault::open(&many_path)?.unlock("bench", PASSPHRASE)?;
        many_plain.insert_index(&vault.patient_index()?)?;
    }

    // Unlock to patient list ready; the key derivation uses test parameters
    // and is excluded from the comparison by design of the baseline (which has none).
    let unlock_vault = median_ms(5, || {
        let mut session = Session::open(&many_path, None, PASSPHRASE, Environment::system())?;
        assert_eq!(session.patients("")?.len(), options.search_patients);
        session.lock();
        Ok(())
    })?;
    let unlock_plain = median_ms(5, || {
        assert_eq!(
            PlainStore::open(&many_plain_path)?.patient_list()?.len(),
            options.search_patients
        );
        Ok(())
    })?;
    figures.push(Figure::new(
        &format!(
            "unlock to patient list, {} patients",
            options.search_patients
        ),
        unlock_vault,
        unlock_plain,
        "< 200 ms",
    ));

    // Search per keystroke: typing やまだ one character at a time.
    let mut session = Session::open(&many_path, None, PASSPHRASE, Environment::system())?;
    session.patients("")?;
    let keystrokes = ["や", "やま", "やまだ", "山", "山田"];
    let search_vault = median_ms(options.samples, || {
        for query in keystrokes {
            std::hint::black_box(session.patients(query)?);
        }
        Ok(())
    })? / keystrokes.len() as f64;
    let search_plain = median_ms(options.samples, || {
        for query in keystrokes {
            std::hint::black_box(many_plain.search(query)?);
        }
        Ok(())
    })? / keystrokes.len() as f64;
    figures.push(Figure::new(
        &format!("search per keystroke, {} patients", options.search_patients),
        search_vault,
        search_plain,
        "< 5 ms",
    ));
    session.lock();

    Ok(figures)
}
