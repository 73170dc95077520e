//! The shared vocabulary of Karte: the values a chart is made of, their
//! validation, and the search folding of Japanese names.
//!
//! This crate has no I/O, no clock and no Automerge, so it compiles to wasm and
//! the UI validates forms with exactly the rules the core enforces.

mod app;
mod audit;
mod bundle;
mod casualty;
mod chart;
mod clinical;
mod document;
mod era;
mod error;
mod error_code;
mod ids;
mod jspeed;
mod nearby;
mod operations;
mod orders;
mod passphrase;
mod photos;
mod scales;
mod search;
mod size;
mod team;
mod time_value;
mod triage;
mod vitals;

pub use app::*;
pub use audit::{AuditAction, AuditEntry, AuditEvent};
pub use bundle::{BundleExported, BundleImported};
pub use casualty::*;
pub use chart::*;
pub use clinical::*;
pub use document::*;
pub use era::{EraYear, JapaneseEra};
pub use error::{ValidationError, ValidationErrors};
pub use error_code::ErrorCode;
pub use ids::*;
pub use jspeed::*;
pub use nearby::{NearbyDevice, NearbyExchange, NearbyRefusal, NearbyState};
pub use operations::{Operation, ops};
pub use orders::*;
pub use passphrase::{MIN_PASSPHRASE_CHARS, check_new_passphrase};
pub use photos::*;
pub use scales::*;
pub use search::{fold_for_search, matches_search};
pub use size::human_bytes;
pub use team::{TeamInvitation, TeamMember, TeamShown};
pub use time_value::{Date, Timestamp};
pub use triage::*;
pub use vitals::*;
