//! Wound photos: adding a 4 MB camera JPEG, durable (its EXIF stripped, a
//! thumbnail made, both sealed in the vault, the chart entry written),
//! beside the same file written as a plain blob to plain SQLite (WAL,
//! `synchronous=FULL`) in the same run.

use anyhow::Result;
use karte_api::{Environment, KdfParams, Session};
use karte_test_support::{PASSPHRASE, yamada};
use karte_types::{Base64Bytes, PhotoUpload};
use rusqlite::{Connection, params};

use crate::Options;
use crate::report::{self, Figure, time_ms};

pub const NOTES: &[&str] = &[
    "photo: a 4 MB JPEG with an EXIF/GPS block, a new one each sample (no dedup);",
    "baseline: the same file as a blob in plain SQLite (WAL, synchronous=FULL), same run.",
];

/// The photo file size measured.
const PHOTO_BYTES: usize = 4 * 1024 * 1024;

/// A camera JPEG of about `PHOTO_BYTES`, different for every seed.
fn photo(seed: u32) -> Vec<u8> {
    // The sample pictures come to about the same bytes per pixel at any
    // size: measure once at a small size and scale the edges.
    let probe = karte_photo::sample::jpeg_with_exif(800, 600, seed, 1);
    let scale = (PHOTO_BYTES as f64 / probe.len() as f64).sqrt();
    let (width, height) = ((800.0 * scale) as u32, (600.0 * scale) as u32);
    karte_photo::sample::jpeg_with_exif(width, height, seed, 1)
}

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let samples = options.samples.clamp(3, 15);
    eprintln!("making {samples} photos of about 4 MB …");
    let photos: Vec<Vec<u8>> = (0..samples as u32).map(photo).collect();
    let size = photos.iter().map(Vec::len).sum::<usize>() / samples;

    let mut session = Session::create(
        &dir.path().join("photos.karte"),
        "bench",
        PASSPHRASE,
        KdfParams::insecure_fast_for_tests(),
        Environment::system(),
    )?;
    let patient = session.add_patient(&yamada())?;
    let mut vault_times = Vec::with_capacity(samples);
    for file in &photos {
        let upload = PhotoUpload {
            file: Base64Bytes(file.clone()),
            taken_at: None,
            wound: Some("仙骨部".into()),
            assessment: None,
        };
        vault_times.push(time_ms(|| {
            Ok(session.add_photo(&patient, &upload).map(drop)?)
        })?);
    }
    session.lock();

    let plain = Connection::open(dir.path().join("plain.sqlite"))?;
    plain.pragma_update(None, "journal_mode", "WAL")?;
    plain.pragma_update(None, "synchronous", "FULL")?;
    plain.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL)")?;
    let mut plain_times = Vec::with_capacity(samples);
    for file in &photos {
        plain_times.push(time_ms(|| {
            plain.execute("INSERT INTO photos (bytes) VALUES (?1)", params![file])?;
            Ok(())
        })?);
    }
    Ok(vec![Figure::new(
        &format!("adding a 4 MB photo durable ({} KB, median)", size / 1024),
        report::median(&mut vault_times),
        report::median(&mut plain_times),
        "< 150 ms",
    )])
}
