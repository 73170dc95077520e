//! karte-record: the chart model on Automerge.
//!
//! One Automerge document per patient chart. This crate has no I/O, no clock
//! and no randomness: actor ids, times and entry ids are passed in, so every
//! test is deterministic. It never touches disk or network; callers persist
//! what [`Chart::save`] and [`Chart::save_after`] return.
//!
//! The rules it keeps (see DESIGN.md, "Pitfalls"):
//! - every edit is one explicit change whose message names its author, device,
//!   time and operation; nothing is committed implicitly;
//! - entries are map keys (ULIDs), never list positions, and are never
//!   deleted: a mistaken entry is marked entered-in-error;
//! - every container is created in the chart's first change;
//! - a change received from elsewhere is applied only if it is an edit this
//!   API could have made, by the device that signed it (`check_change`);
//! - a merge that brings concurrent values for a clinical field, or that makes
//!   the chart clinically inconsistent, records a review item in the document,
//!   which stays until a person resolves it.

mod bytes;
mod chart;
mod error;
mod history;
mod incoming;
mod json;
mod layout;
mod review;
mod triage_review;
mod view;

pub use automerge::{ActorId, Change, ChangeHash};
pub use chart::{Chart, HeldChange, ReceivedChart};
pub use error::RecordError;
pub use history::{ChangeInfo, Edit, actor_for, actor_is_of_device, device_prefix};
pub use incoming::{CLOCK_SLACK, Delivery, check_and_apply, check_change, check_loaded};
