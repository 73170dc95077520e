//! Wound photos between devices through a real hub: a photo taken on one
//! device is shown byte for byte on another after both synced, is "not
//! here yet" until then, is stored once on the hub whatever number of
//! devices took it, goes on after a cut from where the hub acknowledged
//! (or, fetching, from the pieces kept), is kept only when it hashes to
//! its name,
//! and lies on the hub's disk neither in clear nor with its EXIF.

use karte_api::{ApiError, HttpTransport, Transport};
use karte_photo::sample::{EXIF_DESCRIPTION, EXIF_MAKER, jpeg_with_exif};
use karte_sync::TransportError;
use karte_sync::client::{EnrolmentGrant, EnrolmentRequest, PhotoOptions};
use karte_sync::photo::{PhotoAnswer, PhotoRequest, decode_photo_answer, encode_photo_answer};
use karte_types::{Base64Bytes, EntryId, ErrorCode, PatientId, PhotoSize, PhotoUpload};

use crate::hub::{Device, TestHub};

fn upload(file: Vec<u8>) -> PhotoUpload {
    PhotoUpload {
        file: Base64Bytes(file),
        taken_at: None,
        wound: Some("仙骨部".to_owned()),
        assessment: None,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn photos_held_whole(hub: &TestHub) -> usize {
    files(&hub.data_dir().join("photos").join("whole")).len()
}

/// A device of a new organisation with a patient and a photo of their
/// wound: the device, the patient, the photo's entry and its stored bytes.
fn device_with_photo(
    hub: &TestHub,
    org: &karte_hub::OrgId,
    name: &str,
    file: Vec<u8>,
) -> (Device, PatientId, EntryId, Vec<u8>) {
    let mut device = Device::enrolled(hub, org, name);
    let patient = device
        .session
        .add_patient(&karte_test_support::yamada())
        .unwrap();
    let entry = device.session.add_photo(&patient, &upload(file)).unwrap();
    let stored = device
        .session
        .photo(&patient, &entry, &PhotoSize::Full)
        .unwrap()
        .data
        .0;
    (device, patient, entry, stored)
}

/// The link to the hub with photos left out: a hub that keeps none.
struct NoPhotos(HttpTransport);

impl Transport for NoPhotos {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.0.post_sync(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.0.enrol(request)
    }
}

#[test]
fn a_photo_taken_on_one_device_is_shown_byte_identical_on_another() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら訪問看護");
    let file = jpeg_with_exif(640, 480, 3, 1);
    let (mut a, patient, entry, stored) = device_with_photo(&hub, &org.id, "A", file);
    // The chart travels first; the photo only when a sync carries photos.
    let charts_only = a
        .session
        .sync_with(&mut NoPhotos(HttpTransport::new(&hub.url).unwrap()), |_| {})
        .unwrap();
    assert!(charts_only.photos_not_kept);
    let mut b = Device::enrolled(&hub, &org.id, "B");
    let first = b.sync();
    assert_eq!((first.photos_received, first.photos_waiting), (0, 1));
    assert!(
        first.to_string().contains("1 not on the hub yet"),
        "{first}"
    );
    let error = b
        .session
        .photo(&patient, &entry, &PhotoSize::Thumbnail)
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::PhotoNotHere);

    let sent = a.sync();
    assert_eq!(sent.photos_sent, 1);
    assert_eq!(sent.photo_bytes_sent, stored.len() as u64);
    let received = b.sync();
    assert_eq!(received.photos_received, 1);
    assert_eq!(received.photo_bytes_received, stored.len() as u64);
    let shown = b.session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(shown.data.0, stored, "byte for byte");
    assert!(
        b.session
            .photo(&patient, &entry, &PhotoSize::Thumbnail)
            .is_ok(),
        "a thumbnail was made on arrival"
    );
    // Nothing moves the next time.
    let again = b.sync();
    assert_eq!((again.photos_sent, again.photos_received), (0, 0));
    assert_eq!(a.sync().photos_sent, 0);
}

#[test]
fn the_same_photo_taken_on_two_devices_is_stored_once_on_the_hub() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら訪問看護");
    let file = jpeg_with_exif(400, 300, 9, 1);
    let (mut a, _, _, _) = device_with_photo(&hub, &org.id, "A", file.clone());
    let (mut b, _, _, _) = device_with_photo(&hub, &org.id, "B", file);
    assert_eq!(a.sync().photos_sent, 1);
    let second = b.sync();
    assert_eq!(
        (second.photos_sent, second.photo_bytes_sent),
        (0, 0),
        "the hub had it: nothing was sent"
    );
    assert_eq!(photos_held_whole(&hub), 1);
}

/// A link that carries photo pieces up to a number of bytes acknowledged,
/// then breaks; it counts the photo bytes it carried.
struct CutAfter {
    inner: HttpTransport,
    pieces_left: usize,
    carried: u64,
}

impl Transport for CutAfter {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.inner.post_sync(body)
    }

    fn post_photos(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let karte_sync::HeaderRead::Complete {
            header,
            body_offset,
            ..
        } = karte_sync::read_request_header(&body).unwrap()
        else {
            panic!("a whole envelope");
        };
        let signed = header.with_body(body[body_offset..].to_vec()).unwrap();
        if let PhotoRequest::Put { bytes, .. } =
            karte_sync::photo::decode_photo_request(&signed.body).unwrap()
        {
            if self.pieces_left == 0 {
                return Err(TransportError::Unreachable {
                    detail: "the test cut the link".to_owned(),
                });
            }
            self.pieces_left -= 1;
            self.carried += bytes.len() as u64;
        }
        self.inner.post_photos(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.inner.enrol(request)
    }
}

#[test]
fn a_sync_cut_mid_photo_resumes_without_sending_what_the_hub_acknowledged() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら訪問看護");
    let (mut a, patient, entry, stored) =
        device_with_photo(&hub, &org.id, "A", jpeg_with_exif(900, 700, 5, 1));
    let piece = 16 << 10;
    assert!(stored.len() > 4 * piece, "the photo takes several pieces");
    let mut cut = CutAfter {
        inner: HttpTransport::new(&hub.url).unwrap(),
        pieces_left: 3,
        carried: 0,
    };
    let error: ApiError = a
        .session
        .sync_with_photos(
            &mut cut,
            PhotoOptions {
                piece_bytes: piece as u32,
            },
            |_| {},
        )
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::HubUnreachable);
    assert_eq!(cut.carried, 3 * piece as u64, "three pieces acknowledged");

    let resumed = a
        .session
        .sync_with_photos(
            &mut HttpTransport::new(&hub.url).unwrap(),
            PhotoOptions {
                piece_bytes: piece as u32,
            },
            |_| {},
        )
        .unwrap();
    assert_eq!(resumed.photos_sent, 1);
    assert_eq!(
        resumed.photo_bytes_sent + cut.carried,
        stored.len() as u64,
        "no acknowledged byte went twice"
    );
    let mut b = Device::enrolled(&hub, &org.id, "B");
    b.sync();
    let shown = b.session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(shown.data.0, stored);
}

/// A link that spoils the photo bytes of the first `spoil` pieces fetched
/// and breaks before the piece after `gets_left` pieces (when set).
struct FetchCut {
    inner: HttpTransport,
    gets_left: Option<usize>,
    spoil: usize,
}

impl FetchCut {
    fn new(hub: &TestHub, gets_left: Option<usize>, spoil: usize) -> FetchCut {
        FetchCut {
            inner: HttpTransport::new(&hub.url).unwrap(),
            gets_left,
            spoil,
        }
    }
}

impl Transport for FetchCut {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.inner.post_sync(body)
    }

    fn post_photos(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let karte_sync::HeaderRead::Complete {
            header,
            body_offset,
            ..
        } = karte_sync::read_request_header(&body).unwrap()
        else {
            panic!("a whole envelope");
        };
        let signed = header.with_body(body[body_offset..].to_vec()).unwrap();
        let request = karte_sync::photo::decode_photo_request(&signed.body).unwrap();
        if !matches!(request, PhotoRequest::Get { .. }) {
            return self.inner.post_photos(body);
        }
        match &mut self.gets_left {
            Some(0) => {
                return Err(TransportError::Unreachable {
                    detail: "the test cut the link".to_owned(),
                });
            }
            Some(left) => *left -= 1,
            None => {}
        }
        let answer = self.inner.post_photos(body)?;
        if self.spoil == 0 {
            return Ok(answer);
        }
        self.spoil -= 1;
        let PhotoAnswer::Get { size, mut bytes } = decode_photo_answer(&answer).unwrap() else {
            panic!("a piece answers a Get");
        };
        bytes[0] ^= 0xff;
        Ok(encode_photo_answer(&PhotoAnswer::Get { size, bytes }))
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.inner.enrol(request)
    }
}

/// A hub holding a photo taken on device A, and device B of the same
/// organisation that has its chart but not yet the photo.
fn photo_on_hub_not_on_b(hub: &TestHub, piece: usize) -> (Device, PatientId, EntryId, Vec<u8>) {
    let (org, _) = hub.add_org("さくら訪問看護");
    let (mut a, patient, entry, stored) =
        device_with_photo(hub, &org.id, "A", jpeg_with_exif(900, 700, 5, 1));
    assert!(stored.len() > 5 * piece, "the photo takes several pieces");
    assert_eq!(a.sync().photos_sent, 1);
    let b = Device::enrolled(hub, &org.id, "B");
    (b, patient, entry, stored)
}

fn pieces_of(piece: usize) -> PhotoOptions {
    PhotoOptions {
        piece_bytes: piece as u32,
    }
}

#[test]
fn a_fetch_cut_mid_photo_resumes_and_asks_only_for_the_rest() {
    let hub = TestHub::start();
    let piece = 16 << 10;
    let (mut b, patient, entry, stored) = photo_on_hub_not_on_b(&hub, piece);
    let error = b
        .session
        .sync_with_photos(
            &mut FetchCut::new(&hub, Some(3), 0),
            pieces_of(piece),
            |_| {},
        )
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::HubUnreachable);
    assert_eq!(
        b.session
            .photo(&patient, &entry, &PhotoSize::Full)
            .unwrap_err()
            .code(),
        ErrorCode::PhotoNotHere,
        "three pieces are no photo"
    );
    // The pieces kept meanwhile are sealed: no byte of them in clear.
    for (path, bytes) in files(b.dir.path()) {
        for at in [0, 100, piece + 7, 2 * piece + 300] {
            assert!(
                !contains(&bytes, &stored[at..at + 32]),
                "{} holds the photo's bytes at {at}",
                path.display()
            );
        }
    }

    let resumed = b
        .session
        .sync_with_photos(
            &mut HttpTransport::new(&hub.url).unwrap(),
            pieces_of(piece),
            |_| {},
        )
        .unwrap();
    assert_eq!(resumed.photos_received, 1);
    assert_eq!(
        resumed.photo_bytes_received,
        (stored.len() - 3 * piece) as u64,
        "only the rest was fetched"
    );
    let shown = b.session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(shown.data.0, stored, "byte for byte");
    assert!(
        b.session
            .photo(&patient, &entry, &PhotoSize::Thumbnail)
            .is_ok()
    );
    assert_eq!(b.sync().photo_bytes_received, 0, "nothing moves again");
}

#[test]
fn a_resumed_fetch_that_does_not_hash_to_its_name_is_dropped_and_fetched_again() {
    let hub = TestHub::start();
    let piece = 16 << 10;
    let (mut b, patient, entry, stored) = photo_on_hub_not_on_b(&hub, piece);
    // Two pieces arrive, the first of them spoilt, then the link breaks.
    b.session
        .sync_with_photos(
            &mut FetchCut::new(&hub, Some(2), 1),
            pieces_of(piece),
            |_| {},
        )
        .unwrap_err();
    let again = b
        .session
        .sync_with_photos(
            &mut HttpTransport::new(&hub.url).unwrap(),
            pieces_of(piece),
            |_| {},
        )
        .unwrap();
    assert_eq!(again.photos_received, 1);
    assert_eq!(
        again.photo_bytes_received,
        (stored.len() - 2 * piece + stored.len()) as u64,
        "the rest, then the whole photo once more"
    );
    let shown = b.session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(shown.data.0, stored, "the spoilt bytes were not kept");
}

#[test]
fn a_fetched_photo_that_does_not_hash_to_its_name_is_never_kept() {
    let hub = TestHub::start();
    let piece = 16 << 10;
    let (mut b, patient, entry, stored) = photo_on_hub_not_on_b(&hub, piece);
    let error = b
        .session
        .sync_with_photos(&mut FetchCut::new(&hub, None, 1), pieces_of(piece), |_| {})
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Malformed, "{error}");
    assert_eq!(
        b.session
            .photo(&patient, &entry, &PhotoSize::Full)
            .unwrap_err()
            .code(),
        ErrorCode::PhotoNotHere
    );
    // Nothing of it was kept: the next fetch is of the whole photo.
    let again = b
        .session
        .sync_with_photos(
            &mut HttpTransport::new(&hub.url).unwrap(),
            pieces_of(piece),
            |_| {},
        )
        .unwrap();
    assert_eq!(again.photo_bytes_received, stored.len() as u64);
    let shown = b.session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(shown.data.0, stored);
}

#[test]
fn a_device_outside_the_care_circle_gets_no_photo() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら訪問看護");
    let (other, _) = hub.add_org("もみじ診療所");
    let (mut a, _, _, _) = device_with_photo(&hub, &org.id, "A", jpeg_with_exif(320, 240, 2, 1));
    a.sync();
    let mut stranger = Device::enrolled(&hub, &other.id, "X");
    let summary = stranger.sync();
    assert_eq!(
        (summary.received_charts, summary.photos_received),
        (0, 0),
        "neither the chart nor its photo"
    );
}

#[test]
fn the_hub_keeps_neither_a_photos_bytes_nor_its_exif_in_clear() {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら訪問看護");
    let file = jpeg_with_exif(640, 480, 7, 1);
    assert!(contains(&file, EXIF_MAKER.as_bytes()));
    let (mut a, _, _, stored) = device_with_photo(&hub, &org.id, "A", file.clone());
    assert_eq!(a.sync().photos_sent, 1);
    let everything = files(hub.data_dir());
    assert!(
        everything
            .iter()
            .any(|(path, _)| path.starts_with(hub.data_dir().join("photos"))),
        "the photo is on the hub's disk"
    );
    for (path, bytes) in &everything {
        for at in [0, 100, stored.len() / 2, stored.len() - 40] {
            assert!(
                !contains(bytes, &stored[at..at + 32]),
                "{} holds the photo's bytes at {at}",
                path.display()
            );
        }
        for exif in [EXIF_MAKER, EXIF_DESCRIPTION] {
            assert!(
                !contains(bytes, exif.as_bytes()),
                "{} holds the EXIF",
                path.display()
            );
        }
    }
}
