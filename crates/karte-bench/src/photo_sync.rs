//! The first sync of many wound photos through the hub, cut halfway and
//! resumed: the photo bytes sent (acknowledged before the cut plus sent
//! after it) beside the photos' own bytes, which a sync that resent
//! nothing matches exactly; every byte on the wire beside the same; and
//! the time of both photo passes beside writing the same photos as files
//! (fsync each) on this machine in the same run, the floor of any store.

use std::io::Write;

use anyhow::{Context, Result};
use karte_api::{HttpTransport, Transport};
use karte_sync::TransportError;
use karte_sync::client::{EnrolmentGrant, EnrolmentRequest, PhotoOptions};
use karte_sync::photo::{PhotoRequest, decode_photo_request};
use karte_types::{Base64Bytes, PhotoUpload};

use crate::Options;
use crate::report::{Figure, time_ms};
use crate::sync::device::Device;
use crate::sync::hub::{ChildHub, Storage};

pub const NOTES: &[&str] = &[
    "photos: 640×480 camera JPEGs with EXIF, 10 a patient, a new one each (no dedup);",
    "pieces of 64 KiB; the first photo pass is cut mid-photo about halfway, the second finishes;",
    "baseline (bytes): the photos' own bytes; (time): the same bytes written as files, fsync each;",
    "the hub's photo rate limits are lifted (a real first sync of 1,000 photos pauses at them and goes on at the next sync).",
];

/// A link that breaks after `puts_left` photo pieces, counting what it
/// carried.
struct Counting {
    inner: HttpTransport,
    puts_left: Option<usize>,
    /// Photo bytes in pieces carried to the hub.
    piece_bytes: u64,
    /// Every request byte sent.
    wire_bytes: u64,
}

impl Transport for Counting {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.wire_bytes += body.len() as u64;
        self.inner.post_sync(body)
    }

    fn post_photos(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        if let Ok(karte_sync::HeaderRead::Complete {
            header,
            body_offset,
            ..
        }) = karte_sync::read_request_header(&body)
            && let Ok(signed) = header.with_body(body[body_offset..].to_vec())
            && let Ok(PhotoRequest::Put { bytes, .. }) = decode_photo_request(&signed.body)
        {
            match &mut self.puts_left {
                Some(0) => {
                    return Err(TransportError::Unreachable {
                        detail: "the benchmark cut the link".to_owned(),
                    });
                }
                Some(left) => *left -= 1,
                None => {}
            }
            self.piece_bytes += bytes.len() as u64;
        }
        self.wire_bytes += body.len() as u64;
        self.inner.post_photos(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.inner.enrol(request)
    }
}

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let count = (options.samples * 20).max(20);
    let (hub, codes) = ChildHub::start(&dir.path().join("photohub.sqlite"), Storage::Sealed, 1, 1)?;
    let mut device = Device::enrolled(&hub.url, &codes[0][0], "photos")?;
    eprintln!("adding {count} photos …");
    let mut photo_bytes = 0u64;
    let mut stored = Vec::with_capacity(count);
    let mut patient = None;
    for n in 0..count {
        if n % 10 == 0 {
            patient = Some(
                device
                    .session()
                    .add_patient(&karte_test_support::yamada())?,
            );
        }
        let patient = patient.as_ref().context("a patient")?;
        let file = karte_photo::sample::jpeg_with_exif(640, 480, n as u32 + 1, 1);
        let entry = device.session().add_photo(
            patient,
            &PhotoUpload {
                file: Base64Bytes(file),
                taken_at: None,
                wound: Some("仙骨部".into()),
                assessment: None,
            },
        )?;
        let kept = device
            .session()
            .photo(patient, &entry, &karte_types::PhotoSize::Full)?
            .data
            .0;
        photo_bytes += kept.len() as u64;
        stored.push(kept);
    }
    // The charts first, so the photo passes are timed alone.
    let mut link = Counting {
        inner: HttpTransport::new(&hub.url)?,
        puts_left: None,
        piece_bytes: 0,
        wire_bytes: 0,
    };
    device
        .session()
        .sync_with(&mut NoPhotos(&mut link), |_| {})?;
    link.wire_bytes = 0;
    // About four pieces a photo: an odd count cuts inside a photo.
    link.puts_left = Some(count * 2 + 1);
    let pieces = PhotoOptions {
        piece_bytes: 64 << 10,
    };
    let mut summary = None;
    let ms = time_ms(|| {
        let cut = device.session().sync_with_photos(&mut link, pieces, |_| {});
        anyhow::ensure!(cut.is_err(), "the cut did not stop the first photo pass");
        link.puts_left = None;
        summary = Some(
            device
                .session()
                .sync_with_photos(&mut link, pieces, |_| {})?,
        );
        Ok(())
    })?;
    let summary = summary.context("the second photo pass")?;
    anyhow::ensure!(
        summary.photos_sent > 0 && summary.photos_sent < count,
        "the cut came mid-way: {} photos sent after it",
        summary.photos_sent
    );
    let files = dir.path().join("plain-photos");
    std::fs::create_dir(&files)?;
    let baseline_ms = time_ms(|| {
        for (n, bytes) in stored.iter().enumerate() {
            let mut file = std::fs::File::create(files.join(n.to_string()))?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        Ok(())
    })?;
    drop(hub);
    Ok(vec![
        Figure::bytes(
            &format!("{count} photos, cut and resumed: photo bytes sent"),
            link.piece_bytes,
            photo_bytes,
            "1.00 (no resend)",
        ),
        Figure::bytes(
            &format!("{count} photos, cut and resumed: request bytes"),
            link.wire_bytes,
            photo_bytes,
            "≈ 1",
        ),
        Figure::new(
            &format!("{count} photos, cut and resumed: both passes"),
            ms,
            baseline_ms,
            "",
        ),
    ])
}

/// The link with photos left out, for a sync of the charts alone.
struct NoPhotos<'a>(&'a mut Counting);

impl Transport for NoPhotos<'_> {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.0.post_sync(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.0.enrol(request)
    }
}
