//! The team's board: counts per category and who waits, most urgent first,
//! drawn from the patient list alone (no chart is opened).

use serde::{Deserialize, Serialize};

use crate::{PatientId, Timestamp, TriageCategory};

/// How long a casualty may wait before they are triaged again, unless the
/// team sets another interval.
pub const DEFAULT_RETRIAGE_MINUTES: u32 = 30;

/// One line of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRow {
    pub patient: PatientId,
    /// The name, or the temporary identity in Japanese and in English.
    pub name_ja: String,
    pub name_en: String,
    pub tag: Option<String>,
    /// `None`: registered, not triaged yet.
    pub category: Option<TriageCategory>,
    /// Since the last triage (or, never triaged, since registration).
    pub waiting_minutes: u32,
    /// Waiting longer than the re-triage interval.
    pub overdue: bool,
}

/// The team's board: counts per category and who waits, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub retriage_minutes: u32,
    /// Not yet triaged.
    pub untriaged: u32,
    /// Per category, in the order of [`TriageCategory::ALL`].
    pub counts: Vec<(TriageCategory, u32)>,
    /// Gone with a transport (not in the counts nor the rows).
    pub departed: u32,
    /// Untriaged first, then red, yellow, green, black; within each, the
    /// longest waiting first.
    pub rows: Vec<BoardRow>,
}

impl Board {
    /// The board of the charts in `patients` that have a triage tag, at `now`.
    pub fn draw(
        patients: &[crate::PatientSummary],
        now: Timestamp,
        retriage_minutes: u32,
    ) -> Board {
        let mut board = Board {
            retriage_minutes,
            untriaged: 0,
            counts: TriageCategory::ALL.iter().map(|c| (*c, 0)).collect(),
            departed: 0,
            rows: Vec::new(),
        };
        for p in patients {
            let Some(tag) = p.triage.as_deref() else {
                continue;
            };
            if tag.departed_at.is_some() {
                board.departed += 1;
                continue;
            }
            match tag.category {
                Some(category) => {
                    if let Some(slot) = board.counts.iter_mut().find(|(c, _)| *c == category) {
                        slot.1 += 1;
                    }
                }
                None => board.untriaged += 1,
            }
            let since = tag.triaged_at.or(tag.registered_at).unwrap_or(now);
            let waiting_minutes =
                u32::try_from((now.0 - since.0).max(0) / 60_000).unwrap_or(u32::MAX);
            let overdue =
                tag.category != Some(TriageCategory::Black) && waiting_minutes > retriage_minutes;
            board.rows.push(BoardRow {
                patient: p.id.clone(),
                name_ja: p.display_name_ja(),
                name_en: p.display_name_en(),
                tag: tag.casualty.as_ref().map(|c| c.tag.clone()),
                category: tag.category,
                waiting_minutes,
                overdue,
            });
        }
        let rank = |c: Option<TriageCategory>| match c {
            None => 0,
            Some(c) => {
                1 + TriageCategory::ALL
                    .iter()
                    .position(|x| *x == c)
                    .unwrap_or(0)
            }
        };
        board.rows.sort_by(|a, b| {
            rank(a.category)
                .cmp(&rank(b.category))
                .then(b.waiting_minutes.cmp(&a.waiting_minutes))
                .then_with(|| a.patient.cmp(&b.patient))
        });
        board
    }
}
