//! What a sync did, for the one-line summary a person reads, and how far a
//! long one has come, for a progress display.

use karte_types::PatientId;
use serde::Serialize;

use crate::wire::{DeviceLock, WipeOrder};

/// A chart put in quarantine, and why (an error code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineNote {
    pub doc: PatientId,
    pub reason: String,
}

/// The totals of one sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// This device's changes sent, and the charts they belong to.
    pub pushed_changes: usize,
    pub pushed_charts: usize,
    /// Of `pushed_charts`, those sent whole (new to the hub): their changes
    /// are not counted in `pushed_changes`.
    pub pushed_whole: usize,
    /// Changes received one by one, and charts received whole.
    pub received_changes: usize,
    pub received_whole: usize,
    /// Charts that received anything.
    pub received_charts: usize,
    /// Charts removed because they are no longer shared with this device.
    pub removed_charts: usize,
    /// Review items recorded or brought by the merges.
    pub new_reviews: usize,
    /// Shares the hub accepted: the charts are in the circles now.
    pub shares: usize,
    /// Shares the hub took that wait for the receiving organisation's
    /// administrator to approve them.
    pub shares_pending: usize,
    /// Organisations removed from care circles.
    pub unshares: usize,
    pub requests: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Set when the hub ordered the device wiped, and it was.
    pub wiped: Option<WipeOrder>,
    /// Charts this sync put in quarantine: received, but not applicable.
    pub quarantined: Vec<QuarantineNote>,
    /// Charts this sync took out of quarantine.
    pub lifted: usize,
    /// The organisation's lock policy as the hub's last answer gave it
    /// (`None`: no policy), for the device to keep.
    #[serde(skip)]
    pub device_lock: Option<DeviceLock>,
    /// Photos sent whole to the hub, and the photo bytes sent for them (a
    /// resumed upload counts only what it sent).
    pub photos_sent: usize,
    pub photo_bytes_sent: u64,
    /// Photos fetched from the hub, and their bytes.
    pub photos_received: usize,
    pub photo_bytes_received: u64,
    /// Photos the charts here name that are neither here nor whole on the
    /// hub yet: the device that took them has not sent them.
    pub photos_waiting: usize,
    /// Photos the hub would not serve or take for this device.
    pub photos_refused: usize,
    /// The hub keeps no photos (an older hub): photos stayed where they are.
    pub photos_not_kept: bool,
    /// The hub asked the device to slow down during the photo pass, which
    /// stopped there: the next sync goes on.
    pub photos_paused: bool,
    /// Charts holding another device's changes (brought by a peer, or
    /// handed back to a restored hub) that could not go to the hub yet: a
    /// signature needed is not kept here. They stay to push; a later sync
    /// sends them once their authors have reached the hub.
    pub unrelayed_charts: usize,
}

/// How far a sync has come, after each page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncProgress {
    pub pages: usize,
    /// Charts pushed and received so far.
    pub charts: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Photos sent and fetched so far.
    pub photos: usize,
}

impl SyncSummary {
    /// Whether the sync pushed, received or removed a chart or sent a
    /// share: whether the device's charts or the hub's changed at all.
    pub fn moved_anything(&self) -> bool {
        self.pushed_charts
            + self.received_charts
            + self.removed_charts
            + self.shares
            + self.shares_pending
            + self.unshares
            > 0
    }

    pub(crate) fn progress(&self) -> SyncProgress {
        SyncProgress {
            pages: self.requests,
            charts: self.pushed_charts + self.received_charts + self.removed_charts,
            bytes_sent: self.bytes_sent,
            bytes_received: self.bytes_received,
            photos: self.photos_sent + self.photos_received,
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub use karte_types::human_bytes;

impl std::fmt::Display for SyncSummary {
    /// One line, e.g. `pushed 3 changes in 2 charts, received 5 changes in
    /// 3 charts (1 whole), 1 new review item; 2 requests, 4.1 kB sent,
    /// 12.0 kB received`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(order) = self.wiped {
            let why = match order {
                WipeOrder::Lost => "it was reported lost",
                WipeOrder::Retired => "it was retired; everything it held had reached the hub",
            };
            return write!(
                f,
                "the hub ordered this device wiped ({why}): the vault is erased"
            );
        }
        write!(
            f,
            "pushed {} in {}",
            plural(self.pushed_changes, "change", "changes"),
            plural(self.pushed_charts, "chart", "charts"),
        )?;
        if self.pushed_whole > 0 {
            write!(f, " ({} whole)", self.pushed_whole)?;
        }
        write!(
            f,
            ", received {} in {}",
            plural(self.received_changes, "change", "changes"),
            plural(self.received_charts, "chart", "charts"),
        )?;
        if self.received_whole > 0 {
            write!(f, " ({} whole)", self.received_whole)?;
        }
        if self.removed_charts > 0 {
            let removed = plural(self.removed_charts, "chart", "charts");
            write!(f, ", {removed} no longer shared removed")?;
        }
        if self.shares > 0 {
            write!(f, ", {} accepted", plural(self.shares, "share", "shares"))?;
        }
        if self.shares_pending > 0 {
            let pending = plural(self.shares_pending, "share", "shares");
            write!(
                f,
                ", {pending} awaiting the receiving organisation's approval"
            )?;
        }
        if self.unshares > 0 {
            let unshares = plural(self.unshares, "organisation", "organisations");
            write!(f, ", {unshares} removed from care circles")?;
        }
        if !self.quarantined.is_empty() {
            let charts = plural(self.quarantined.len(), "chart", "charts");
            write!(f, ", {charts} quarantined")?;
        }
        if self.lifted > 0 {
            let charts = plural(self.lifted, "chart", "charts");
            write!(f, ", {charts} out of quarantine")?;
        }
        if self.unrelayed_charts > 0 {
            let charts = plural(self.unrelayed_charts, "chart", "charts");
            write!(
                f,
                ", {charts} with another device's changes not relayed yet"
            )?;
        }
        if self.photos_sent + self.photos_received + self.photos_waiting + self.photos_refused > 0
            || self.photos_paused
        {
            write!(
                f,
                ", photos: {} sent ({}), {} received ({})",
                self.photos_sent,
                human_bytes(self.photo_bytes_sent),
                self.photos_received,
                human_bytes(self.photo_bytes_received)
            )?;
            if self.photos_waiting > 0 {
                write!(f, ", {} not on the hub yet", self.photos_waiting)?;
            }
            if self.photos_refused > 0 {
                write!(f, ", {} refused by the hub", self.photos_refused)?;
            }
            if self.photos_paused {
                write!(f, ", paused by the hub (the next sync goes on)")?;
            }
        }
        let reviews = plural(self.new_reviews, "new review item", "new review items");
        write!(
            f,
            ", {reviews}; {}, {} sent, {} received",
            plural(self.requests, "request", "requests"),
            human_bytes(self.bytes_sent),
            human_bytes(self.bytes_received)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_reads_as_one_line() {
        let summary = SyncSummary {
            pushed_changes: 3,
            pushed_charts: 2,
            pushed_whole: 0,
            received_changes: 5,
            received_whole: 1,
            received_charts: 3,
            removed_charts: 0,
            new_reviews: 1,
            shares: 0,
            shares_pending: 0,
            unshares: 0,
            requests: 2,
            bytes_sent: 4_120,
            bytes_received: 12_000,
            wiped: None,
            quarantined: Vec::new(),
            lifted: 0,
            device_lock: None,
            ..SyncSummary::default()
        };
        assert_eq!(
            summary.to_string(),
            "pushed 3 changes in 2 charts, received 5 changes in 3 charts (1 whole), 1 new review item; 2 requests, 4.1 kB sent, 12.0 kB received"
        );
        let photos = SyncSummary {
            photos_sent: 2,
            photo_bytes_sent: 3_500_000,
            photos_received: 1,
            photo_bytes_received: 1_200_000,
            photos_waiting: 1,
            ..SyncSummary::default()
        };
        assert!(
            photos.to_string().contains(
                ", photos: 2 sent (3.5 MB), 1 received (1.2 MB), 1 not on the hub yet, 0 new review items"
            ),
            "{photos}"
        );
        let steady = SyncSummary {
            requests: 1,
            bytes_sent: 180,
            bytes_received: 40,
            ..SyncSummary::default()
        };
        assert_eq!(
            steady.to_string(),
            "pushed 0 changes in 0 charts, received 0 changes in 0 charts, 0 new review items; 1 request, 180 B sent, 40 B received"
        );
        let poisoned = SyncSummary {
            requests: 1,
            received_changes: 1,
            received_charts: 1,
            quarantined: vec![QuarantineNote {
                doc: PatientId::from("P1"),
                reason: "forbidden_change".to_owned(),
            }],
            ..SyncSummary::default()
        };
        assert_eq!(
            poisoned.to_string(),
            "pushed 0 changes in 0 charts, received 1 change in 1 chart, 1 chart quarantined, 0 new review items; 1 request, 0 B sent, 0 B received"
        );
        let unrelayed = SyncSummary {
            requests: 1,
            unrelayed_charts: 2,
            ..SyncSummary::default()
        };
        assert!(
            unrelayed
                .to_string()
                .contains(", 2 charts with another device's changes not relayed yet,"),
            "{unrelayed}"
        );
        let wiped = SyncSummary {
            wiped: Some(WipeOrder::Lost),
            ..SyncSummary::default()
        };
        assert!(wiped.to_string().contains("reported lost"), "{wiped}");
        assert_eq!(human_bytes(12_345_678), "12.3 MB");
    }
}
