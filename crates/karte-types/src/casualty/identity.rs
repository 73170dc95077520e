//! Identity found later: the chart of a casualty nobody could name, linked
//! to the chart of the person they turned out to be.
//!
//! The link is an entry of the casualty chart's `triage` container
//! ([`IdentificationInput`]: "identified as" the known chart). Nothing is
//! copied: the casualty chart keeps its entries with the changes, authors
//! and signatures that made them, and a reader folds them into the known
//! chart's view ([`ChartView::fold_identified`]). Which chart a casualty
//! chart belongs to is worked out from the patient list alone
//! ([`IdentityLinks`]), so a link and the known chart may arrive in any
//! order. Values the two charts disagree on are found by
//! [`identity_conflicts`] and recorded as review items with the link.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{
    AllergyStatus, ChartView, ClinicalStatus, ConflictValue, EntryMeta, PatientId, PatientSummary,
    Sex, ValidationError,
};

/// "This casualty is the patient of that chart."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentificationInput {
    /// The chart of the person the casualty turned out to be.
    pub patient: PatientId,
}

/// A link as the chart keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identification {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: IdentificationInput,
}

/// Why a chart cannot be linked as asked: the code of an `invalid_input`
/// refusal (field `as`; also at the end of its message, in brackets, for
/// the command line), and nothing is written.
pub mod refusal {
    /// A chart linked to itself.
    pub const SAME_CHART: &str = "same_chart";
    /// The chart to link has a name, or no casualty registration.
    pub const NOT_UNKNOWN: &str = "not_unknown_casualty";
    /// The known chart is already (through its own links) this casualty.
    pub const CYCLE: &str = "identity_cycle";
    /// The casualty is already identified as another patient.
    pub const ALREADY_IDENTIFIED: &str = "already_identified";
}

/// Checks a link of `casualty` to `known` before anything is written:
/// not to itself, only an unknown casualty, never into a cycle, and not
/// over a standing link to someone else (void that one first).
pub fn check_identification(
    casualty: &ChartView,
    known: &PatientId,
    links: &IdentityLinks,
) -> Result<(), ValidationError> {
    let field = "as";
    if &casualty.id == known {
        return Err(ValidationError::new(
            field,
            refusal::SAME_CHART,
            format!(
                "a chart cannot be identified as itself: give the known patient's chart [{}]",
                refusal::SAME_CHART
            ),
        ));
    }
    if casualty.unknown_casualty().is_none() {
        return Err(ValidationError::new(
            field,
            refusal::NOT_UNKNOWN,
            format!(
                "{} is not an unknown casualty (it has a name, or no triage tag): identify the casualty's chart as the known one, not the other way round [{}]",
                casualty.id,
                refusal::NOT_UNKNOWN
            ),
        ));
    }
    if let Some(current) = casualty.triage.identified_as()
        && &current.input.patient != known
    {
        return Err(ValidationError::new(
            field,
            refusal::ALREADY_IDENTIFIED,
            format!(
                "this casualty is already identified as {}: void that link (entry {}) first if it was wrong [{}]",
                current.input.patient,
                current.meta.id,
                refusal::ALREADY_IDENTIFIED
            ),
        ));
    }
    if links.chain(known).contains(&casualty.id) {
        return Err(ValidationError::new(
            field,
            refusal::CYCLE,
            format!(
                "{known} is itself identified, through its links, as {}: linking back would make a cycle [{}]",
                casualty.id,
                refusal::CYCLE
            ),
        ));
    }
    Ok(())
}

/// The links between the charts of one vault, read from the patient list:
/// each identified casualty chart points at the chart it was identified
/// as, when that chart is here too. A chart's **root** is where its links
/// lead; the root's view holds every chart whose root it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityLinks {
    next: BTreeMap<PatientId, PatientId>,
}

impl IdentityLinks {
    /// The links of `summaries` whose known chart is among them (a link to
    /// a chart not here yet waits for it).
    pub fn from_summaries<'a>(summaries: impl IntoIterator<Item = &'a PatientSummary>) -> Self {
        let summaries: Vec<&PatientSummary> = summaries.into_iter().collect();
        let linked =
            |s: &PatientSummary| s.triage.as_ref().is_some_and(|t| t.identified_as.is_some());
        // Most vaults have no link: listing them costs one pass.
        if !summaries.iter().any(|s| linked(s)) {
            return IdentityLinks::default();
        }
        let present: BTreeSet<&PatientId> = summaries.iter().map(|s| &s.id).collect();
        let next = summaries
            .iter()
            .filter_map(|s| {
                let to = s.triage.as_ref()?.identified_as.as_ref()?;
                (present.contains(to) && to != &s.id).then(|| (s.id.clone(), to.clone()))
            })
            .collect();
        IdentityLinks { next }
    }

    /// Whether no chart here is linked to another.
    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }

    /// `id` and the charts its links lead through, in order, each once.
    pub fn chain(&self, id: &PatientId) -> Vec<PatientId> {
        let mut chain = vec![id.clone()];
        let mut at = id;
        while let Some(to) = self.next.get(at) {
            if chain.contains(to) {
                break;
            }
            chain.push(to.clone());
            at = to;
        }
        chain
    }

    /// Where `id`'s links lead. Two devices may each link one chart of a
    /// pair to the other while apart, making a cycle; every chart of a
    /// cycle then has its smallest id as root, so every replica agrees.
    pub fn root(&self, id: &PatientId) -> PatientId {
        let chain = self.chain(id);
        let last = chain.last().expect("a chain holds its start");
        match self.next.get(last) {
            // The chain stopped on a chart already in it: a cycle.
            Some(back) => {
                let start = chain.iter().position(|c| c == back).expect("in the chain");
                chain[start..].iter().min().expect("not empty").clone()
            }
            None => last.clone(),
        }
    }

    /// Every other chart whose root is `root`, by id: the charts whose
    /// links lead to it, found by walking the links backwards from it
    /// (each chart once), not by working out the root of every chart.
    pub fn members(&self, root: &PatientId) -> Vec<PatientId> {
        // A chart that is not its own root is no chart's root.
        if &self.root(root) != root {
            return Vec::new();
        }
        let mut linked_from: BTreeMap<&PatientId, Vec<&PatientId>> = BTreeMap::new();
        for (from, to) in &self.next {
            linked_from.entry(to).or_default().push(from);
        }
        let mut found: BTreeSet<&PatientId> = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(at) = stack.pop() {
            for from in linked_from.get(at).into_iter().flatten() {
                if *from != root && found.insert(from) {
                    stack.push(from);
                }
            }
        }
        found.into_iter().cloned().collect()
    }
}

/// A value the casualty chart and the known chart disagree on, found when
/// they are linked: a review item to record with the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConflict {
    /// The rule, e.g. `identity-sex`.
    pub rule: &'static str,
    /// Where, e.g. `patient/sex`.
    pub path: String,
    /// The casualty chart's value first, then the known chart's.
    pub values: Vec<ConflictValue>,
    /// What it is about (the two charts and the values), from which the
    /// review item's id is made, so replicas agree.
    pub about: Vec<String>,
}

/// A string as JSON text (a review item's values are JSON).
fn json_text(value: impl std::fmt::Display) -> String {
    let mut out = String::from('"');
    for c in value.to_string().chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A list of strings as JSON text.
fn json_list(values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(json_text).collect();
    format!("[{}]", items.join(","))
}

/// What the casualty chart and the known chart disagree on: the sex seen
/// at registration and the known one, the age band and the known birth
/// date (on the day of registration), and allergies ("no known allergies"
/// on one side, an active allergy on the other).
pub fn identity_conflicts(casualty: &ChartView, known: &ChartView) -> Vec<IdentityConflict> {
    let mut out = Vec::new();
    let about = |facts: Vec<String>| {
        let mut about = vec![
            format!("casualty:{}", casualty.id),
            format!("known:{}", known.id),
        ];
        about.extend(facts);
        about
    };
    if let Some(registration) = casualty.triage.casualty() {
        let seen = registration.input.sex;
        let sex = known.patient.sex;
        if seen != sex && seen != Sex::Unknown && sex != Sex::Unknown {
            out.push(IdentityConflict {
                rule: "identity-sex",
                path: "patient/sex".to_owned(),
                values: vec![
                    ConflictValue {
                        value: json_text(seen),
                        author: Some(registration.meta.recorded_by.clone()),
                        at: Some(registration.meta.recorded_at),
                    },
                    ConflictValue {
                        value: json_text(sex),
                        author: None,
                        at: None,
                    },
                ],
                about: about(vec![format!("seen:{seen}"), format!("known:{sex}")]),
            });
        }
        let band = registration.input.age_band;
        let (lo, hi) = band.years();
        let age = known
            .patient
            .birth
            .age_on(registration.meta.recorded_at.date_jst());
        if !(i64::from(lo)..=i64::from(hi)).contains(&i64::from(age)) {
            out.push(IdentityConflict {
                rule: "identity-age",
                path: "patient/birth".to_owned(),
                values: vec![
                    ConflictValue {
                        value: json_text(band),
                        author: Some(registration.meta.recorded_by.clone()),
                        at: Some(registration.meta.recorded_at),
                    },
                    ConflictValue {
                        value: json_text(known.patient.birth),
                        author: None,
                        at: None,
                    },
                ],
                about: about(vec![
                    format!("band:{band}"),
                    format!("birth:{}", known.patient.birth),
                ]),
            });
        }
    }
    let active = |chart: &ChartView| -> Vec<String> {
        chart
            .allergies
            .iter()
            .filter(|a| a.meta.entered_in_error.is_none())
            .filter(|a| a.input.status == ClinicalStatus::Active)
            .map(|a| a.meta.id.to_string())
            .collect()
    };
    for (none, other) in [(casualty, known), (known, casualty)] {
        let allergies = active(other);
        if none.allergy_status == AllergyStatus::NoKnownAllergies && !allergies.is_empty() {
            let substances: Vec<&str> = other
                .allergies
                .iter()
                .filter(|a| allergies.contains(&a.meta.id.to_string()))
                .map(|a| a.input.substance.as_str())
                .collect();
            let mut values = vec![
                ConflictValue {
                    value: json_text("no-known-allergies"),
                    author: None,
                    at: None,
                },
                ConflictValue {
                    value: json_list(&substances),
                    author: None,
                    at: None,
                },
            ];
            if none.id == known.id {
                values.reverse();
            }
            let mut facts = vec![format!("no-known-allergies:{}", none.id)];
            facts.extend(allergies.into_iter().map(|a| format!("allergy:{a}")));
            out.push(IdentityConflict {
                rule: "identity-allergies",
                path: "allergy_assessment/no_known_allergies".to_owned(),
                values,
                about: about(facts),
            });
        }
    }
    out
}

impl ChartView {
    /// Folds the entries of a casualty chart identified as this one into
    /// this view: each entry with who recorded it and when, as its own
    /// chart holds it, and the review items; the patient stays this
    /// chart's. Folding the same charts in any order gives one view.
    pub fn fold_identified(&mut self, casualty: ChartView) {
        let no_known = self.allergy_status == AllergyStatus::NoKnownAllergies
            || casualty.allergy_status == AllergyStatus::NoKnownAllergies;
        self.allergies.extend(casualty.allergies);
        self.conditions.extend(casualty.conditions);
        self.medications.extend(casualty.medications);
        self.visits.extend(casualty.visits);
        self.reviews.extend(casualty.reviews);
        self.orders.extend(casualty.orders);
        self.assessments.extend(casualty.assessments);
        let tag = &mut self.triage;
        tag.registrations.extend(casualty.triage.registrations);
        tag.history.extend(casualty.triage.history);
        tag.transports.extend(casualty.triage.transports);
        tag.identifications.extend(casualty.triage.identifications);
        // As a chart reads them: by id (ULIDs, so oldest first).
        self.allergies.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        self.conditions.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        self.medications.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
        self.reviews.sort_by(|a, b| a.id.cmp(&b.id));
        self.reviews.dedup_by(|a, b| a.id == b.id);
        self.reviews
            .sort_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)));
        self.settle(no_known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgeBand, CasualtyLabel, Date, TriageSummary};

    fn summary(id: &str, identified_as: Option<&str>) -> PatientSummary {
        PatientSummary {
            id: PatientId::from(id),
            family: String::new(),
            given: String::new(),
            family_kana: String::new(),
            given_kana: String::new(),
            birth: Date::from_ymd(1960, 1, 1).unwrap(),
            sex: Sex::Male,
            care_level: None,
            last_visit: None,
            open_reviews: 0,
            orders: Default::default(),
            triage: Some(Box::new(TriageSummary {
                casualty: Some(CasualtyLabel {
                    tag: format!("T-{id}"),
                    sex: Sex::Male,
                    age_band: AgeBand::Sixties,
                }),
                registered_at: None,
                category: None,
                triaged_at: None,
                departed_at: None,
                identified_as: identified_as.map(PatientId::from),
            })),
        }
    }

    #[test]
    fn a_link_to_a_chart_not_here_yet_waits_for_it() {
        let unknown = summary("u", Some("k"));
        let links = IdentityLinks::from_summaries([&unknown]);
        assert!(links.is_empty());
        assert_eq!(links.root(&"u".into()), PatientId::from("u"));
        // The known chart arrives (from the hub, or a peer).
        let known = summary("k", None);
        let links = IdentityLinks::from_summaries([&unknown, &known]);
        assert_eq!(links.root(&"u".into()), PatientId::from("k"));
        assert_eq!(links.members(&"k".into()), [PatientId::from("u")]);
        assert!(links.members(&"u".into()).is_empty());
    }

    #[test]
    fn chains_lead_to_their_end_and_cycles_to_their_smallest_id() {
        let charts = [
            summary("c", Some("b")),
            summary("b", Some("a")),
            summary("a", None),
            summary("x", Some("y")),
            summary("y", Some("z")),
            summary("z", Some("y")),
        ];
        let links = IdentityLinks::from_summaries(&charts);
        assert_eq!(links.root(&"c".into()), PatientId::from("a"));
        assert_eq!(
            links.members(&"a".into()),
            [PatientId::from("b"), PatientId::from("c")]
        );
        assert_eq!(links.chain(&"c".into()).len(), 3);
        for id in ["x", "y", "z"] {
            assert_eq!(links.root(&id.into()), PatientId::from("y"), "{id}");
        }
        assert_eq!(
            links.members(&"y".into()),
            [PatientId::from("x"), PatientId::from("z")]
        );
    }

    use proptest::prelude::*;

    proptest! {
        /// The roots are the same whatever order the list is read in.
        #[test]
        fn roots_do_not_depend_on_the_order_of_the_list(
            targets in proptest::collection::vec(proptest::option::of(0usize..6), 6),
            order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
        ) {
            let ids = ["a", "b", "c", "d", "e", "f"];
            let charts: Vec<PatientSummary> = ids
                .iter()
                .zip(&targets)
                .map(|(id, to)| summary(id, to.map(|t| ids[t])))
                .collect();
            let shuffled: Vec<&PatientSummary> = order.iter().map(|&i| &charts[i]).collect();
            let one = IdentityLinks::from_summaries(&charts);
            let other = IdentityLinks::from_summaries(shuffled);
            for id in ids {
                let id = PatientId::from(id);
                prop_assert_eq!(one.root(&id), other.root(&id));
                let root = one.root(&id);
                prop_assert_eq!(one.root(&root), root.clone());
            }
        }

        /// A chart's members are exactly the other charts whose root it
        /// is (the definition, checked chart by chart).
        #[test]
        fn members_are_the_charts_whose_root_it_is(
            targets in proptest::collection::vec(proptest::option::of(0usize..8), 8),
        ) {
            let ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
            let charts: Vec<PatientSummary> = ids
                .iter()
                .zip(&targets)
                .map(|(id, to)| summary(id, to.map(|t| ids[t])))
                .collect();
            let links = IdentityLinks::from_summaries(&charts);
            for id in ids {
                let id = PatientId::from(id);
                let expected: Vec<PatientId> = ids
                    .iter()
                    .map(|other| PatientId::from(*other))
                    .filter(|other| *other != id && links.root(other) == id)
                    .collect();
                prop_assert_eq!(links.members(&id), expected);
            }
        }
    }
}
