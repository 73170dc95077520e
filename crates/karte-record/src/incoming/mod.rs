//! What a change received from another replica may do to a chart.
//!
//! A device of the organisation holds a valid key and can push any
//! Automerge change it likes; signatures only say which device made it.
//! [`check_change`] decides whether a change is one the `Chart` edit API
//! could have made: the hub runs it on every pushed change before it
//! stores anything, and a device on every change it receives before it
//! applies any.
//!
//! A change is allowed when
//! - its message names the device that signed it, and it was written under
//!   one of that device's actors (`misattributed_change` otherwise);
//! - its time is at most [`CLOCK_SLACK`] after it was received and at most
//!   that before the chart was created (`implausible_change_time`);
//! - everything it writes is an edit of the layout (`forbidden_change`):
//!   the chart's first change, only as the very first; new entries under
//!   new ULID keys, written whole and recorded by the change's author; a
//!   field of an entry or of the patient corrected to a value of its type;
//!   an entry marked entered-in-error (never the `kind` of a triage-tag
//!   entry: a triage stays a triage); "no known allergies" with who and
//!   when; review items and their resolutions. Nothing is ever deleted, no
//!   write may leave a value its author saw standing beside the new one
//!   (`put` always overwrites what it sees), and nothing is written where
//!   this version of Karte writes nothing.
//!
//! How a change is read into writes is in `writes`, what each place of the
//! layout accepts in `rules`.

mod before;
mod line;
mod rules;
mod writes;

use automerge::{Automerge, Change, ROOT, ReadDoc};

use before::ChartBefore;
use karte_types::{DeviceId, PatientId, Timestamp};
pub use line::{check_and_apply, check_loaded};

use crate::RecordError;
use crate::history::{CommitMessage, actor_is_of_device, parse_message};
use crate::layout::PATIENT_ID;

/// How far a change's time may stand from when it was received (after) and
/// from when its chart was created (before): 24 hours.
///
/// A refused change is refused for good: it stays in its device's history,
/// and every later push carries it again. So the bound must let through
/// every clock a device honestly has, such as one set to UTC instead of
/// Japan time (9 hours), or one that ran fast until it met the network,
/// and catch only what no clock mistake explains: a visit dated next week,
/// or a correction dated before the chart it corrects existed.
pub const CLOCK_SLACK: Timestamp = Timestamp(24 * 60 * 60 * 1000);

/// What the receiver of a change knows besides its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The device whose signature the change carries.
    pub signer: &'a DeviceId,
    /// When it was received, by the receiver's clock: for the hub, the time
    /// of the push; for a device, the time of the sync that brought it.
    pub received_at: Timestamp,
}

/// Whether `change` is an edit Karte allows to the chart `patient`, given
/// `chart`, the document it applies to (empty for a chart the receiver
/// does not hold yet, whose first change this must then be). Changes are
/// checked one at a time, each against the chart with the ones before it
/// applied; nothing is applied here.
pub fn check_change(
    chart: &Automerge,
    patient: &PatientId,
    change: &Change,
    delivery: &Delivery<'_>,
) -> Result<(), RecordError> {
    check_change_before(&ChartBefore::current(chart), patient, change, delivery).map(|_| ())
}

/// [`check_change`] against the chart as it stood before the change;
/// returns what the change writes.
fn check_change_before(
    chart: &ChartBefore<'_>,
    patient: &PatientId,
    change: &Change,
    delivery: &Delivery<'_>,
) -> Result<Vec<writes::Patch>, RecordError> {
    let refuse = Refuse(change.hash().to_string());
    if let Some(dep) = change.deps().iter().find(|dep| !chart.holds(dep)) {
        return Err(RecordError::MissingChanges(dep.to_string()));
    }
    let first = chart.heads().is_empty();
    if change.deps().is_empty() && !first {
        return Err(refuse.forbidden(
            "it starts the chart over although the chart exists; only a chart's very first change starts it, and a second start would hide the first one's entries",
        ));
    }
    let message = attribution(change, delivery, &refuse)?;
    plausible_time(chart, change, &message, delivery, &refuse)?;
    let patches = writes::read(chart, change, &refuse)?;
    rules::check(
        chart,
        patient,
        first,
        &patches,
        &message,
        change.deps(),
        &refuse,
    )?;
    Ok(patches)
}

/// The message of `change`, once it names the device that signed it.
fn attribution(
    change: &Change,
    delivery: &Delivery<'_>,
    refuse: &Refuse,
) -> Result<CommitMessage, RecordError> {
    let message = parse_message(change.message()).ok_or_else(|| {
        refuse.misattributed("it carries no message naming its author, device and operation")
    })?;
    if message.author.device != *delivery.signer {
        return Err(refuse.misattributed(format!(
            "its message names device {}, but device {} signed it",
            message.author.device, delivery.signer
        )));
    }
    if !actor_is_of_device(change.actor_id(), delivery.signer) {
        return Err(refuse.misattributed(format!(
            "it was written under actor {}, which is not one of device {}'s, the device that signed it",
            change.actor_id(),
            delivery.signer
        )));
    }
    Ok(message)
}

/// Checks the change's time against when it arrived and when the chart was
/// created, allowing [`CLOCK_SLACK`] for clocks that are off.
fn plausible_time(
    chart: &ChartBefore<'_>,
    change: &Change,
    message: &CommitMessage,
    delivery: &Delivery<'_>,
    refuse: &Refuse,
) -> Result<(), RecordError> {
    let at = message.at;
    if change.timestamp() != at.0.div_euclid(1000) {
        return Err(refuse.implausible(format!(
            "its message says it was made at {} but its own time is {} seconds since 1970",
            at.to_rfc3339(),
            change.timestamp()
        )));
    }
    if at.0 > delivery.received_at.0.saturating_add(CLOCK_SLACK.0) {
        return Err(refuse.implausible(format!(
            "it is dated {}, more than 24 hours after it was received ({})",
            at.to_rfc3339(),
            delivery.received_at.to_rfc3339()
        )));
    }
    if let Some(created) = created_at(chart)
        && at.0 < created.0.saturating_sub(CLOCK_SLACK.0)
    {
        return Err(refuse.implausible(format!(
            "it is dated {}, more than 24 hours before the chart was created ({})",
            at.to_rfc3339(),
            created.to_rfc3339()
        )));
    }
    Ok(())
}

/// When the chart was created: the time of the change that wrote its
/// patient id, which only the first change does.
fn created_at(chart: &ChartBefore<'_>) -> Option<Timestamp> {
    let (_, op) = chart.get(ROOT, PATIENT_ID).ok()??;
    let doc = chart.doc();
    let meta = doc.get_change_meta_by_hash(&doc.hash_for_opid(&op)?)?;
    Some(match parse_message(meta.message.as_deref()) {
        Some(message) => message.at,
        None => Timestamp(meta.timestamp.saturating_mul(1000)),
    })
}

/// The refusals of one change, each naming it.
pub(crate) struct Refuse(String);

impl Refuse {
    pub(crate) fn forbidden(&self, why: impl Into<String>) -> RecordError {
        RecordError::ForbiddenChange {
            hash: self.0.clone(),
            why: why.into(),
        }
    }

    pub(crate) fn misattributed(&self, why: impl Into<String>) -> RecordError {
        RecordError::MisattributedChange {
            hash: self.0.clone(),
            why: why.into(),
        }
    }

    pub(crate) fn implausible(&self, why: impl Into<String>) -> RecordError {
        RecordError::ImplausibleChangeTime {
            hash: self.0.clone(),
            why: why.into(),
        }
    }
}
