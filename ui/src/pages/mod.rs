//! The app's screens, one component per file.

pub mod add_allergy;
pub mod add_condition;
pub mod add_medication;
pub mod carry;
pub mod casualty_board;
pub mod chart;
pub mod daily_report;
pub mod documents;
pub mod enrol;
pub mod entry_form;
pub mod first_run;
pub mod nearby;
pub mod patient_form;
pub mod patients;
pub mod record_consultation;
pub mod record_visit;
pub mod register_casualty;
pub mod settings;
pub mod triage;
pub mod unlock;
pub mod visit_mode;
