//! Every operation of the application API, declared once.
//!
//! An operation is a name, its arguments and its reply. The list below is
//! the only place one is written: [`for_each_operation!`] hands it to a
//! macro of the caller's, and each front makes its plumbing from it: this
//! crate the argument structs ([`ops`]), `karte-api` the dispatch of
//! `App::call`, the UI its typed calls. The Tauri command and the bridge's
//! route take any name and pass it on. Adding an operation is a line here
//! and the method that does it, on `Session` or `App`.
//!
//! On every transport a call is the operation's name and its arguments as
//! a JSON object (`{"patient": "01J…", "input": {…}}`), and the answer is
//! the reply as JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One operation: its arguments are the struct, its name and reply are here.
pub trait Operation: Serialize + DeserializeOwned {
    /// The name it travels under, e.g. `add_allergy`.
    const NAME: &'static str;
    /// Whether the call is made on the unlocked session and counts as the
    /// user's activity for the auto-lock (`session` in the list), or is one
    /// of the app's own (`app`: opening, locking, background sync and
    /// status, which do not keep an unattended vault open).
    const ON_SESSION: bool;
    type Reply: Serialize + DeserializeOwned;
}

/// Calls `$then!` with the list of every operation. Each line is
///
/// ```text
/// KIND NAME(ARGUMENT: TYPE, …) -> REPLY;
/// ```
///
/// where KIND is `session` (the `Session` method of that name, on the
/// unlocked session, counted as activity) or `app` (the `App` method of
/// that name). Arguments are handed to the method by reference.
#[macro_export]
macro_rules! for_each_operation {
    ($then:ident) => {
        $crate::__with_throwaway_operation! { $then;
            /// Whether there is a vault, whether it is unlocked, its users
            /// and the core's time.
            app session_state() -> $crate::SessionState;
            /// Creates the vault with its first user and keeps it unlocked.
            app create(credentials: $crate::Credentials) -> $crate::AppUser;
            /// Unlocks the vault for a user.
            app unlock(credentials: $crate::Credentials) -> $crate::AppUser;
            /// Locks the vault: key and charts leave memory.
            app lock() -> $crate::Locked;

            /// The patient list, narrowed by a kanji or kana search (blank: all).
            session patients(search: String) -> Vec<$crate::PatientSummary>;
            session add_patient(patient: $crate::Demographics) -> $crate::PatientId;
            session chart(patient: $crate::PatientId) -> $crate::ChartView;
            session update_patient(patient: $crate::PatientId, demographics: $crate::Demographics) -> ();
            session add_allergy(patient: $crate::PatientId, input: $crate::AllergyInput) -> $crate::EntryId;
            session set_no_known_allergies(patient: $crate::PatientId) -> ();
            session add_condition(patient: $crate::PatientId, input: $crate::ConditionInput) -> $crate::EntryId;
            session add_medication(patient: $crate::PatientId, input: $crate::MedicationInput) -> $crate::EntryId;
            session record_visit(patient: $crate::PatientId, input: $crate::VisitInput) -> $crate::EntryId;
            /// Marks an entry entered-in-error, with the reason; nothing is deleted.
            session void_entry(patient: $crate::PatientId, entry: $crate::EntryId, reason: String) -> ();
            /// Resolves a review item with one of its values.
            session resolve_review(patient: $crate::PatientId, review: $crate::ReviewId, chosen: String) -> ();
            /// The audit log, verified end to end, of one patient or all.
            session audit_log(patient: Option<$crate::PatientId>) -> Vec<$crate::AuditEntry>;

            /// Sync at a glance, for the status bar.
            app sync_state() -> $crate::SyncState;
            /// Syncs with the hub now.
            app sync() -> $crate::SyncReport;
            /// Asks for a chart to be shared with another organisation (its
            /// id at the hub), sent with the next sync.
            session share(patient: $crate::PatientId, org: String) -> ();
            /// Asks for an organisation to be removed from a chart's care
            /// circle, sent with the next sync.
            session unshare(patient: $crate::PatientId, org: String) -> ();
            /// Charts received from the hub but not applicable, kept aside.
            session quarantined_charts() -> Vec<$crate::QuarantinedChart>;
            /// Enrols this device at a hub with a one-time code.
            app enrol(request: $crate::EnrolRequest) -> $crate::SyncState;
            app settings() -> $crate::Settings;
            app save_settings(settings: $crate::Settings) -> $crate::Settings;

            /// The sealed draft of an unsaved form.
            session draft(key: String) -> Option<$crate::Draft>;
            session save_draft(key: String, input: $crate::DraftInput) -> ();
            session discard_draft(key: String) -> ();

            /// Records a 指示書 (訪問看護指示書, 特別訪問看護指示書 or
            /// 点滴注射指示書) from the paper the physician signed.
            session add_order(patient: $crate::PatientId, input: $crate::OrderInput) -> $crate::EntryId;
            /// Records one scale at a visit: 寝たきり度, 認知症の日常生活自立度,
            /// Barthel Index, or DESIGN-R 2020 of one wound.
            session record_scale(patient: $crate::PatientId, input: $crate::AssessmentInput) -> $crate::EntryId;
            /// Disaster mode: registers a casualty whose name nobody knows
            /// (a new chart with a temporary identity).
            session add_casualty(input: $crate::CasualtyInput) -> $crate::PatientId;
            /// Records a START/PAT triage; answers with the category and why.
            session triage(patient: $crate::PatientId, request: $crate::TriageRequest) -> $crate::TriageResult;
            /// Records a casualty's transport: agency, hospital, departure.
            session record_transport(patient: $crate::PatientId, input: $crate::TransportInput) -> $crate::EntryId;
            /// The team's board: counts per category and who waits longest
            /// (the interval in minutes; the default if not given).
            session board(retriage_minutes: Option<u32>) -> $crate::Board;
            /// Disaster mode: links an unknown casualty's chart to the chart
            /// of the person they turned out to be; answers with the link.
            session identify(casualty: $crate::PatientId, known: $crate::PatientId) -> $crate::EntryId;
            /// Disaster mode: records a consultation, a visit with its
            /// J-SPEED sheet; answers with the visit's id.
            session record_consultation(patient: $crate::PatientId, input: $crate::ConsultationInput) -> $crate::EntryId;
            /// Disaster mode: the daily report (診療日報) of a site and day,
            /// per team, counted from the charts.
            session disaster_report(date: $crate::Date, site: String) -> $crate::DailyReport;
            /// Adds a wound photo: checked, its metadata (EXIF, GPS) taken
            /// out, sealed in the vault once per content, and an entry in
            /// the chart naming it.
            session add_photo(patient: $crate::PatientId, photo: $crate::PhotoUpload) -> $crate::EntryId;
            /// The chart's photo entries, oldest first.
            session photos(patient: $crate::PatientId) -> Vec<$crate::Photo>;
            /// A photo's thumbnail or the photo itself, from the vault.
            session photo(patient: $crate::PatientId, entry: $crate::EntryId, size: $crate::PhotoSize) -> $crate::PhotoImage;
            /// Makes a carried bundle for the devices of the organisation
            /// `for_org` (its id at the hub): every chart, or with
            /// `since_last` what changed since the last bundle written to a
            /// file; written whole to `out` when given, else answered as bytes.
            session bundle_export(for_org: String, since_last: bool, out: Option<String>) -> $crate::BundleExported;
            /// Takes in a carried bundle, all of it or nothing.
            session bundle_import(bundle: $crate::Base64Bytes) -> $crate::BundleImported;
            /// 近くの端末: the devices of the organisation listening on the
            /// local network, heard within `wait_ms` (3 s if not given).
            app nearby_devices(wait_ms: Option<u32>) -> Vec<$crate::NearbyDevice>;
            /// Exchanges charts with a nearby device, named as found or by
            /// its address (`host:port`); answers with what moved.
            app nearby_sync(peer: String) -> $crate::NearbyExchange;
            /// Makes this device reachable by nearby devices, or not; it
            /// stops when the vault locks.
            app nearby_listen(on: bool) -> $crate::NearbyState;
            /// Whether this device is reachable, and the last exchange with
            /// each device.
            app nearby_state() -> $crate::NearbyState;
            /// A document's draft, prefilled from the chart (報告書 of a
            /// month, 計画書 or 記録書Ⅰ as of a day, 記録書Ⅱ of a visit),
            /// for the nurse to edit before it is printed.
            session document_draft(patient: $crate::PatientId, request: $crate::DocumentRequest) -> $crate::DocumentDraft;
            /// The A4 PDF of a draft as it stands, audited as an export.
            session document_pdf(patient: $crate::PatientId, draft: $crate::DocumentDraft) -> $crate::Base64Bytes;
            /// Saves a draft as a document entry of the chart, unapproved.
            session save_document(patient: $crate::PatientId, draft: $crate::DocumentDraft) -> $crate::EntryId;
            /// Rewrites a saved document's draft; refused once it is approved.
            session update_document(patient: $crate::PatientId, entry: $crate::EntryId, draft: $crate::DocumentDraft) -> ();
            /// Approves a saved document: by a second person, not the one
            /// who saved it; who and when are recorded, and it is not
            /// edited after (it can still be marked entered-in-error).
            session approve_document(patient: $crate::PatientId, entry: $crate::EntryId) -> ();
            /// Makes a field team with this device as its lead (the team's
            /// key is made and kept sealed here); a vault that never enrolled
            /// makes its device keys.
            session team_create(name: String) -> $crate::TeamShown;
            /// Joins the team whose lead's device listens at `address`, with
            /// the code its screen shows; nothing is kept on a wrong code.
            session team_join(address: String, code: String) -> $crate::TeamShown;
            /// The teams this device belongs to, their members and the team
            /// key's fingerprint.
            session team_show() -> Vec<$crate::TeamShown>;
            /// 招待: opens an invitation to a team this device leads (by id or
            /// name; the only one if not given) and serves it in the
            /// background until a device joins, the code runs out (10
            /// minutes) or fails 3 times; answers with the code to show.
            app team_invite(team: Option<String>) -> $crate::TeamInvitation;
            /// Revokes a member's membership of a team this device leads
            /// (`lost`: its changes are refused whatever their time); the
            /// team's list travels to peers at their next exchange.
            session team_revoke(team: Option<String>, device: String, lost: bool) -> $crate::TeamShown;
        }
    };
}

/// Appends the throwaway operation of the fronts' tests when the feature
/// `throwaway-operation` is on. Expanded here, so the feature of this
/// crate decides for every crate that lists the operations.
#[cfg(feature = "throwaway-operation")]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_throwaway_operation {
    ($then:ident; $($list:tt)*) => {
        $then! {
            $($list)*
            /// Only in tests: shows that one line here is served by every front.
            session echo(text: String) -> String;
        }
    };
}

#[cfg(not(feature = "throwaway-operation"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_throwaway_operation {
    ($then:ident; $($list:tt)*) => {
        $then! { $($list)* }
    };
}

/// The arguments of each operation, one struct per operation named as it
/// travels (`ops::add_allergy { patient, input }`).
#[allow(non_camel_case_types)]
pub mod ops {
    use serde::{Deserialize, Serialize};

    macro_rules! argument_structs {
        ($($(#[$doc:meta])* $kind:ident $name:ident($($arg:ident: $type:ty),*) -> $reply:ty;)*) => {
            $(
                $(#[$doc])*
                #[derive(Debug, Clone, Serialize, Deserialize)]
                pub struct $name {
                    $(pub $arg: $type,)*
                }

                impl super::Operation for $name {
                    const NAME: &'static str = stringify!($name);
                    const ON_SESSION: bool = argument_structs!(@on_session $kind);
                    type Reply = $reply;
                }
            )*

            /// The names of every operation.
            pub const NAMES: &[&str] = &[$(stringify!($name)),*];
        };
        (@on_session session) => { true };
        (@on_session app) => { false };
    }

    crate::for_each_operation!(argument_structs);
}

#[cfg(test)]
mod tests {
    use super::ops;
    use super::*;

    #[test]
    fn names_are_unique_and_travel_as_declared() {
        let mut seen = std::collections::HashSet::new();
        for name in ops::NAMES {
            assert!(seen.insert(name), "{name} is declared twice");
        }
        assert_eq!(ops::add_allergy::NAME, "add_allergy");
        const { assert!(ops::record_visit::ON_SESSION) };
        const { assert!(!ops::unlock::ON_SESSION) };
    }

    #[test]
    fn arguments_are_a_json_object_of_named_fields() {
        let call = ops::void_entry {
            patient: crate::PatientId("p1".into()),
            entry: crate::EntryId("e1".into()),
            reason: "別の患者".into(),
        };
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"patient": "p1", "entry": "e1", "reason": "別の患者"})
        );
        let _: ops::lock = serde_json::from_str("{}").unwrap();
        let _: <ops::lock as Operation>::Reply = crate::Locked {
            was_unlocked: false,
        };
    }
}
