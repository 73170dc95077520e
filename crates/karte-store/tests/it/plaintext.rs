//! No patient data reaches the disk in plaintext: not in the vault file, not
//! in its write-ahead log, not in its shared-memory file.

use karte_store::{AuditAction, AuditEvent};
use karte_types::{
    Consultation, EntryId, JSpeedSheet, JSpeedTicks, PatientId, ReportAgeGroup, Sex,
};

use crate::support::{NOW, TestVault, summary};

const MARKERS: &[&str] = &[
    "鬼灯",
    "ホオズキ",
    "ZEBRAFAMILY",
    "PENICILLIN-ANAPHYLAXIS",
    "EXPORTED-TO-CLINIC-B",
    "1941-03-02",
    "secret-operation",
    "ZEBRA-TEAM-SITE",
];

fn files_of(test: &TestVault) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(test.dir.path())
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn assert_no_markers(test: &TestVault) {
    let files = files_of(test);
    // The scan sees what is written: the staff login name is plaintext.
    assert!(
        files.iter().any(|(_, bytes)| contains(bytes, b"admin")),
        "the scan must see the files' contents"
    );
    for (name, bytes) in &files {
        for marker in MARKERS {
            assert!(
                !contains(bytes, marker.as_bytes()),
                "'{marker}' in plaintext in {name}"
            );
        }
    }
}

#[test]
fn patient_data_is_never_on_disk_in_plaintext() {
    let (test, mut vault) = TestVault::new();
    let mut patient = summary("P1", "鬼灯", "ZEBRAFAMILY");
    patient.family_kana = "ホオズキ".into();
    let event = AuditEvent {
        at: NOW,
        action: AuditAction::ChartEdit {
            operation: "secret-operation".into(),
        },
        patient: Some(PatientId::from("P1")),
        detail: "鬼灯 ZEBRAFAMILY".into(),
    };
    // The consultations kept beside the index entry, for the daily report.
    let consultation = Consultation {
        visit: EntryId("visit-1".into()),
        at: NOW,
        recorded_at: NOW,
        sheet_entry: EntryId("sheet-1".into()),
        sheet: JSpeedSheet {
            team: "ZEBRA-TEAM-SITE".into(),
            site: "ZEBRA-TEAM-SITE".into(),
            items: JSpeedTicks::parse("16").unwrap(),
            pregnant: false,
            age_group: None,
        },
        sex: Sex::Female,
        age_group: ReportAgeGroup::From65,
    };
    for _ in 0..20 {
        vault
            .append_document(
                &PatientId::from("P1"),
                b"allergy: PENICILLIN-ANAPHYLAXIS",
                &patient,
                std::slice::from_ref(&consultation),
                event.clone(),
            )
            .unwrap();
    }
    vault
        .record_audit(AuditEvent {
            at: NOW,
            action: AuditAction::Export {
                format: "fhir".into(),
            },
            patient: Some(PatientId::from("P1")),
            detail: "EXPORTED-TO-CLINIC-B".into(),
        })
        .unwrap();
    vault
        .save_draft("visit-P1", "S: 鬼灯 secret-operation".as_bytes())
        .unwrap();
    assert!(test.dir.path().join("vault.karte-wal").exists());
    assert_no_markers(&test);
    vault
        .compact_document(&PatientId::from("P1"), b"snapshot: PENICILLIN-ANAPHYLAXIS")
        .unwrap();
    vault.lock();
    assert_no_markers(&test);
}
