//! Builders and harnesses shared by the tests of several crates: sample
//! patients and visits, authors, and vaults in temporary folders with cheap
//! key-derivation parameters and a fixed clock.

use std::path::PathBuf;

use karte_api::{Environment, KdfParams, Session};
use karte_types::{
    Author, Date, Demographics, DeviceId, Jcs, Sex, Soap, Timestamp, UserId, VisitInput, VitalSigns,
};

/// 2026-11-25T00:00:00Z: the instant tests start at.
pub const START: Timestamp = Timestamp(1_795_564_800_000);

pub const PASSPHRASE: &[u8] = b"correct horse battery staple";

/// Argon2id parameters cheap enough for tests; stored in the vault header like
/// the strong ones, so the code path is the real one.
pub fn fast_kdf() -> KdfParams {
    KdfParams::insecure_fast_for_tests()
}

pub fn author(name: &str, device: &str) -> Author {
    Author {
        user: UserId(format!("user-{name}")),
        user_name: name.to_owned(),
        device: DeviceId(device.to_owned()),
    }
}

pub fn yamada() -> Demographics {
    Demographics {
        family: "山田".into(),
        given: "太郎".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "タロウ".into(),
        birth: Date::from_ymd(1941, 3, 2).expect("valid date"),
        sex: Sex::Male,
        address: Some("長野県上伊那郡辰野町".into()),
        phone: Some("0266-41-0000".into()),
        insurance_number: Some("12345678".into()),
        care_level: Some(karte_types::CareLevel::Care2),
    }
}

/// A plausible visit `minutes` after [`START`].
pub fn visit(minutes: i64, pulse: u16) -> VisitInput {
    VisitInput {
        at: Timestamp(START.0 + minutes * 60_000),
        vitals: VitalSigns {
            temperature_c: Some(36.8),
            systolic: Some(132),
            diastolic: Some(84),
            pulse: Some(pulse),
            respiration: Some(16),
            spo2: Some(97),
            jcs: Some(Jcs::alert()),
            pain: Some(2),
        },
        soap: Soap {
            subjective: Some("夜間よく眠れた".into()),
            ..Soap::default()
        },
    }
}

/// A vault in a temporary folder, removed when dropped.
#[derive(Debug)]
pub struct TempVault {
    pub dir: tempfile::TempDir,
}

impl TempVault {
    pub fn new() -> TempVault {
        TempVault {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("vault.karte")
    }

    /// Creates the vault, its first user `admin`, with a fixed clock and seed.
    pub fn create(&self, seed: u64) -> Session {
        Session::create(
            &self.path(),
            "admin",
            PASSPHRASE,
            fast_kdf(),
            Environment::fixed(START, seed),
        )
        .expect("vault is created")
    }

    pub fn open(&self, seed: u64) -> Session {
        Session::open(
            &self.path(),
            None,
            PASSPHRASE,
            Environment::fixed(START, seed),
        )
        .expect("vault opens")
    }
}

impl Default for TempVault {
    fn default() -> Self {
        TempVault::new()
    }
}
