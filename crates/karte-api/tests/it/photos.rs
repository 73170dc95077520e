//! Wound photos through the application API: stored sealed and without
//! their EXIF, once per content, linked to a DESIGN-R, refused with nothing
//! stored when they are not photos, and exported with an audit entry.

use karte_api::Session;
use karte_photo::sample::{EXIF_DESCRIPTION, EXIF_MAKER, jpeg_with_exif};
use karte_store::AuditAction;
use karte_types::{Base64Bytes, PatientId, PhotoSize, PhotoUpload};

use crate::support::TempVault;
use karte_test_support::{design_r, yamada};

fn upload(file: Vec<u8>, wound: Option<&str>) -> PhotoUpload {
    PhotoUpload {
        file: Base64Bytes(file),
        taken_at: None,
        wound: wound.map(str::to_owned),
        assessment: None,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn attachment_rows(vault: &TempVault) -> i64 {
    rusqlite::Connection::open(vault.path())
        .unwrap()
        .query_row("SELECT COUNT(*) FROM attachments", [], |r| r.get(0))
        .unwrap()
}

fn with_patient(seed: u64) -> (TempVault, Session, PatientId) {
    let vault = TempVault::new();
    let mut session = vault.create(seed);
    let patient = session.add_patient(&yamada()).unwrap();
    (vault, session, patient)
}

#[test]
fn no_byte_of_a_photo_nor_its_exif_is_on_disk_in_plaintext() {
    let (vault, mut session, patient) = with_patient(1);
    let file = jpeg_with_exif(640, 480, 11, 1);
    let entry = session
        .add_photo(&patient, &upload(file.clone(), Some("仙骨部")))
        .unwrap();
    let thumbnail = session
        .photo(&patient, &entry, &PhotoSize::Thumbnail)
        .unwrap();
    assert_eq!(thumbnail.media_type, "image/jpeg");
    let full = session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert!(!contains(&full.data.0, EXIF_MAKER.as_bytes()));
    // The pieces to look for: the EXIF's words and windows of the picture
    // data and of the thumbnail, as they would lie in a plaintext file.
    let mut needles: Vec<Vec<u8>> = vec![
        EXIF_MAKER.into(),
        EXIF_DESCRIPTION.into(),
        b"Exif\0\0".to_vec(),
    ];
    for at in [file.len() / 3, file.len() / 2, file.len() - 100] {
        needles.push(file[at..at + 48].to_vec());
    }
    let thumb = &thumbnail.data.0;
    needles.push(thumb[thumb.len() / 2..thumb.len() / 2 + 48].to_vec());
    // Scanned while the session is open (the write-ahead log holds the
    // latest writes) and after it is locked.
    let mut session = Some(session);
    for when in ["open", "locked"] {
        let mut scanned = 0;
        for item in std::fs::read_dir(vault.dir.path()).unwrap() {
            let path = item.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            scanned += bytes.len();
            for needle in &needles {
                assert!(
                    !contains(&bytes, needle),
                    "plaintext photo bytes in {} ({when})",
                    path.display()
                );
            }
        }
        assert!(
            scanned > file.len(),
            "the scan saw the sealed photo ({when})"
        );
        if let Some(open) = session.take() {
            open.lock();
        }
    }
    let mut session = vault.open(2);
    let again = session.photo(&patient, &entry, &PhotoSize::Full).unwrap();
    assert_eq!(again, full);
}

#[test]
fn the_same_photo_added_twice_is_stored_once_and_named_twice() {
    let (vault, mut session, patient) = with_patient(3);
    let file = jpeg_with_exif(200, 150, 12, 1);
    let first = session
        .add_photo(&patient, &upload(file.clone(), Some("仙骨部")))
        .unwrap();
    let second = session
        .add_photo(&patient, &upload(file, Some("仙骨部")))
        .unwrap();
    assert_ne!(first, second);
    let photos = session.photos(&patient).unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0].input.attachment, photos[1].input.attachment);
    assert_eq!(attachment_rows(&vault), 1);
    // Another photo is another attachment.
    session
        .add_photo(&patient, &upload(jpeg_with_exif(200, 150, 13, 1), None))
        .unwrap();
    assert_eq!(attachment_rows(&vault), 2);
}

#[test]
fn a_file_that_is_not_a_whole_photo_is_refused_and_nothing_is_stored() {
    let (vault, mut session, patient) = with_patient(4);
    let photo = jpeg_with_exif(200, 150, 14, 1);
    let audit_before = session.audit_log(&None).unwrap().len();
    let too_big = vec![0xFFu8; karte_photo::MAX_PHOTO_BYTES + 1];
    for (file, code) in [
        (b"%PDF-1.7 a letter, not a photo".to_vec(), "not_an_image"),
        (Vec::new(), "not_an_image"),
        (photo[..photo.len() / 2].to_vec(), "not_an_image"),
        (too_big, "photo_too_large"),
    ] {
        let error = session
            .add_photo(&patient, &upload(file, Some("仙骨部")))
            .unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        assert!(error.to_string().contains(':'), "says what to do: {error}");
    }
    // A photo for a patient who does not exist is refused before it is stored.
    let error = session
        .add_photo(&PatientId::from("01NOSUCHPATIENT"), &upload(photo, None))
        .unwrap_err();
    assert_eq!(error.code(), "unknown_patient", "{error}");
    assert_eq!(attachment_rows(&vault), 0);
    assert!(session.photos(&patient).unwrap().is_empty());
    assert_eq!(session.audit_log(&None).unwrap().len(), audit_before);
}

#[test]
fn a_photo_linked_to_a_design_r_is_of_its_wound_and_shows_beside_the_others() {
    let (_vault, mut session, patient) = with_patient(5);
    let assessment = session
        .record_scale(&patient, &design_r(30, "仙骨部", "D3-e1s6i0g3n3p0"))
        .unwrap();
    let mut linked = upload(jpeg_with_exif(120, 90, 15, 1), None);
    linked.assessment = Some(assessment.clone());
    let entry = session.add_photo(&patient, &linked).unwrap();
    let photos = session.photos(&patient).unwrap();
    assert_eq!(photos[0].meta.id, entry);
    assert_eq!(photos[0].input.wound.as_deref(), Some("仙骨部"));
    assert_eq!(photos[0].input.assessment, Some(assessment.clone()));
    let mut wrong = upload(jpeg_with_exif(120, 90, 16, 1), Some("右踵部"));
    wrong.assessment = Some(assessment);
    assert_eq!(
        session.add_photo(&patient, &wrong).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn the_fhir_export_carries_a_photo_as_media_its_design_r_is_derived_from() {
    let (_vault, mut session, patient) = with_patient(7);
    let assessment = session
        .record_scale(&patient, &design_r(30, "仙骨部", "D3-e1s6i0g3n3p0"))
        .unwrap();
    let mut linked = upload(jpeg_with_exif(120, 90, 18, 1), None);
    linked.assessment = Some(assessment);
    session.add_photo(&patient, &linked).unwrap();
    let mut out = Vec::new();
    session.export_fhir(Some(&patient), &mut out).unwrap();
    let bundle: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let resources: Vec<&serde_json::Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let media: Vec<_> = resources
        .iter()
        .filter(|r| r["resourceType"] == "Media")
        .collect();
    assert_eq!(media.len(), 1, "{bundle}");
    assert_eq!(media[0]["bodySite"]["text"], "仙骨部");
    let observation = resources
        .iter()
        .find(|r| r["resourceType"] == "Observation" && r.get("derivedFrom").is_some())
        .expect("the DESIGN-R observation is derived from the photo");
    assert!(
        observation["derivedFrom"][0]["reference"]
            .as_str()
            .unwrap()
            .ends_with(media[0]["id"].as_str().unwrap())
    );
}

#[test]
fn exporting_a_photo_is_audited() {
    let (_vault, mut session, patient) = with_patient(6);
    let entry = session
        .add_photo(&patient, &upload(jpeg_with_exif(120, 90, 17, 1), None))
        .unwrap();
    let (photo, bytes) = session.export_photo(&patient, &entry).unwrap();
    assert_eq!(photo.input.size, bytes.len() as u64);
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    let log = session.audit_log(&Some(patient)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        last.event.action,
        AuditAction::Export {
            format: "photo".into()
        }
    );
    assert_eq!(last.event.detail, entry.to_string());
}
