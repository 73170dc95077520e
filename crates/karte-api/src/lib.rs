//! The one application API of Karte. The command line, the Tauri shell and the
//! local HTTP bridge all call this crate and nothing below it.
//!
//! A [`Session`] is an unlocked vault plus the charts loaded from it. Every
//! operation validates its input, edits the chart document, and persists the
//! new changes, the patient index entry and the audit entry in one durable
//! transaction before it returns.
//!
//! This is the layer that reads the clock and the operating system's random
//! source, through [`Environment`], so tests can pass fixed ones in.

mod app;
pub mod bundle_file;
mod call;
mod environment;
mod error;
mod ids;
mod nearby;
mod permission;
mod session;
mod team_invite;

pub use app::{App, default_vault_path};
pub use environment::{
    Clock, Entropy, Environment, FixedClock, SeededEntropy, SystemClock, SystemEntropy,
};
pub use error::ApiError;
pub use ids::Lookup;
pub use karte_store::{Enrolment, KdfParams, Role, UserRecord};
pub use karte_sync::client::{HttpTransport, SyncProgress, SyncSummary, Transport, human_bytes};
pub use karte_sync::peer::{
    CLOCK_WARNING_MS as PEER_CLOCK_WARNING_MS, PeerSummary, RelayRefusal as PeerRefusal,
};
pub use karte_sync::recovery::RecoveryPrivateKey;
pub use karte_types as types;
pub use karte_types::{AuditAction, AuditEntry, AuditEvent};
pub use nearby::NEARBY_PORT;
pub use permission::Permission;
pub use session::{AdvertisedDay, DemoProgress, PEER_SESSION_LIMIT, Session, SyncStatus};
pub use team_invite::TEAM_INVITE_PORT;
