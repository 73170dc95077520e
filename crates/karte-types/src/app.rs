//! The application API's own requests and answers, beside the chart values:
//! what the UI sends to and receives from the core, whether through the
//! Tauri shell or the local HTTP bridge. Both fronts speak exactly these
//! shapes, so the UI has one model of the API.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{ErrorCode, Timestamp, ValidationError};

/// A failed call as every front reports it. The UI branches on `code`, never
/// on `message`, which is English and meant for logs and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
    /// Every failing field of a form, so all can be marked at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ValidationError>,
}

impl Problem {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// A user of the vault as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUser {
    pub id: String,
    pub name: String,
    /// `nurse`, `doctor`, `clerk` or `admin`.
    pub role: String,
}

/// Where the app stands before anything else is shown: is there a vault, is
/// it unlocked, and who may unlock it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub vault_exists: bool,
    pub unlocked: bool,
    pub user: Option<AppUser>,
    /// The login names of the vault's users; they name staff, not patients.
    pub users: Vec<String>,
    /// The core's time: the UI tells "today" by it, so the web view and the
    /// core never disagree about the date (and a test clock moves both).
    pub now: Timestamp,
}

/// A user name and passphrase, for creating or unlocking the vault. Without
/// a user, creating names the first user `admin` and unlocking picks the
/// vault's only user. The passphrase is wiped from memory when the value
/// is dropped, from the moment a front's deserialiser made it, and never
/// printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub user: Option<String>,
    pub passphrase: Zeroizing<String>,
    /// An administrator's unlock code, for a vault its organisation's
    /// policy locked after too many days without the hub.
    #[serde(default)]
    pub unlock_code: Option<Zeroizing<String>>,
}

impl Credentials {
    pub fn new(user: Option<&str>, passphrase: &str) -> Credentials {
        Credentials {
            user: user.map(str::to_owned),
            passphrase: Zeroizing::new(passphrase.to_owned()),
            unlock_code: None,
        }
    }

    /// The same credentials with an unlock code (none if blank).
    pub fn with_unlock_code(self, code: &str) -> Credentials {
        let code = code.trim();
        Credentials {
            unlock_code: (!code.is_empty()).then(|| Zeroizing::new(code.to_owned())),
            ..self
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("passphrase", &"[redacted]")
            .finish()
    }
}

/// The answer to locking: whether the vault was unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locked {
    pub was_unlocked: bool,
}

/// A hub and a one-time enrolment code from its administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub hub_url: String,
    pub code: String,
    pub device_name: String,
}

/// Where this device is enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub hub_url: String,
    pub org_name: String,
    /// The organisation's id at the hub: what a carried bundle is made for.
    #[serde(default)]
    pub org_id: String,
    pub device_name: String,
    pub enrolled_at: Timestamp,
}

/// Sync at a glance, for the status bar that is always in view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// `None` when the device works offline, not enrolled with a hub.
    pub enrolment: Option<EnrolmentView>,
    /// Charts that may hold changes the hub lacks.
    pub charts_to_push: usize,
    pub pending_shares: usize,
    /// Open review items across all charts.
    pub open_reviews: usize,
    /// Charts in quarantine: received from the hub but not applicable here
    /// (see the operation `quarantined_charts`).
    #[serde(default)]
    pub quarantined_charts: usize,
    /// When a sync of this vault last ran to its end, by any front.
    pub last_success: Option<Timestamp>,
    /// Why the last sync failed, if it did.
    pub last_error: Option<Problem>,
}

/// A chart this device received from the hub but could not apply, kept
/// aside: its last good state (if it had one) stays readable, the rest of
/// the sync went on, and the hub is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedChart {
    pub patient: crate::PatientId,
    /// The patient-list entry of its last good state; `None` when the chart
    /// never reached this device in a state it could apply.
    pub summary: Option<crate::PatientSummary>,
    /// Why, as a code (`forbidden_change`, `forged_change`, …).
    pub reason: ErrorCode,
    /// The refusal in English words, for an administrator.
    pub detail: String,
    /// When it was put in quarantine.
    pub since: Timestamp,
    /// How many updates of it were received and kept since.
    pub updates: usize,
}

/// The totals of one sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub pushed_changes: usize,
    pub pushed_charts: usize,
    pub received_changes: usize,
    pub received_whole: usize,
    pub received_charts: usize,
    pub removed_charts: usize,
    pub new_reviews: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Photos sent to the hub, photos fetched from it, and photos the
    /// charts here name that have not reached the hub yet.
    #[serde(default)]
    pub photos_sent: usize,
    #[serde(default)]
    pub photos_received: usize,
    #[serde(default)]
    pub photos_waiting: usize,
    /// Charts holding another device's changes that could not go to the
    /// hub yet (a signature needed is not kept here); a later sync sends
    /// them once their authors have reached the hub.
    #[serde(default)]
    pub unrelayed_charts: usize,
}

/// The settings a user changes in the app, kept in the vault. The language
/// is chosen in the UI and kept there. Settings saved before a field
/// existed read with that field's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Minutes without use before the vault locks itself (1 to 60).
    pub auto_lock_minutes: u32,
    /// Dates read in the Japanese era (令和8年12月7日) instead of the
    /// Western year (2026年12月7日).
    pub japanese_era: bool,
    /// Dark colours for dim rooms (a patient asleep at night).
    pub night_mode: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            auto_lock_minutes: 5,
            japanese_era: false,
            night_mode: false,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if (1..=60).contains(&self.auto_lock_minutes) {
            Ok(())
        } else {
            Err(ValidationError::new(
                "auto_lock_minutes",
                "out_of_range",
                "the auto-lock time is between 1 and 60 minutes",
            ))
        }
    }
}

/// An unsaved form, kept encrypted in the vault so nothing typed is lost
/// when the app closes or locks. `text` is the form as the UI serialised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub text: String,
    pub saved_at: Timestamp,
}

/// A draft to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftInput {
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_lock_time_is_bounded() {
        assert!(Settings::default().validate().is_ok());
        let never = Settings {
            auto_lock_minutes: 0,
            ..Settings::default()
        };
        assert_eq!(never.validate().unwrap_err().code, "out_of_range");
        let too_long = Settings {
            auto_lock_minutes: 61,
            ..Settings::default()
        };
        assert!(too_long.validate().is_err());
    }

    #[test]
    fn credentials_carry_an_unlock_code_only_when_given_and_never_print_it() {
        let plain: Credentials = serde_json::from_str(r#"{"passphrase":"p"}"#).unwrap();
        assert_eq!(plain.unlock_code, None);
        let with: Credentials =
            serde_json::from_str(r#"{"passphrase":"p","unlock_code":"7K3M-Q9TX-2B8R"}"#).unwrap();
        assert_eq!(
            with.unlock_code.as_deref().map(|c| c.as_str()),
            Some("7K3M-Q9TX-2B8R")
        );
        assert!(!format!("{with:?}").contains("7K3M"));
        let blank = Credentials::new(None, "p").with_unlock_code("  ");
        assert_eq!(blank.unlock_code, None);
    }

    #[test]
    fn settings_saved_before_a_field_existed_still_read() {
        let old: Settings = serde_json::from_str(r#"{"auto_lock_minutes":12}"#).unwrap();
        assert_eq!(old.auto_lock_minutes, 12);
        assert!(!old.japanese_era && !old.night_mode);
        let night = Settings {
            night_mode: true,
            ..Settings::default()
        };
        let json = serde_json::to_string(&night).unwrap();
        assert_eq!(serde_json::from_str::<Settings>(&json).unwrap(), night);
    }

    #[test]
    fn problems_without_fields_leave_them_out() {
        let json = serde_json::to_string(&Problem::new(ErrorCode::Locked, "unlock first")).unwrap();
        assert_eq!(json, r#"{"code":"locked","message":"unlock first"}"#);
        let back: Problem = serde_json::from_str(&json).unwrap();
        assert!(back.fields.is_empty());
    }
}
