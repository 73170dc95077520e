//! Property tests of `check_change`: every change the `Chart` edit API
//! makes, merges and resolutions included, passes the check on any chart
//! and in any order of merges; and an honest change rewritten the way a
//! modified Karte could rewrite it is refused with the code that says why.

use automerge::legacy::{Key, OpId, OpType};
use automerge::{Automerge, ReadDoc, ScalarValue};
use karte_record::{Chart, RecordError, actor_is_of_device};
use karte_types::{Author, CareLevel, ClinicalStatus, EntryId, ReviewKind, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::incoming::rewrite;
use crate::support::*;

/// What an entry is, so that edits pick fields it has.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Visit,
    Allergy,
    Condition,
    Medication,
    Order,
    Assessment,
    Document,
}

/// Fields an edit corrects, with values to write, by kind of entry.
fn fields(kind: Kind) -> Vec<(&'static str, Value)> {
    match kind {
        Kind::Visit => vec![
            ("vitals.pulse", json!(64)),
            ("vitals.pulse", json!(88)),
            ("vitals.temperature_c", json!(37.4)),
            ("vitals.jcs", json!("II-20R")),
            ("soap.plan", json!("次回血圧再検")),
        ],
        Kind::Allergy => vec![
            ("status", json!(ClinicalStatus::Resolved)),
            ("status", json!(ClinicalStatus::Active)),
            ("reaction", json!("蕁麻疹")),
        ],
        Kind::Condition => vec![("note", json!("服薬で安定")), ("status", json!("resolved"))],
        Kind::Medication => vec![("dose", json!("10 mg")), ("end", json!("2026-12-01"))],
        Kind::Order => vec![
            ("to", json!("2027-03-31")),
            ("to", json!("2027-04-30")),
            ("devices.tracheal_cannula", json!(true)),
            ("devices.oxygen_flow_l_min", json!(2.5)),
            ("instructions.care_notes", json!("入浴時の転倒に注意")),
        ],
        Kind::Assessment => vec![("scale.bathing", json!(5)), ("scale.stairs", json!(0))],
        // A document's draft is rewritten whole, as `update_document` does.
        Kind::Document => ["自宅で過ごす", "歩行を維持する", "褥瘡を治す"]
            .into_iter()
            .map(|goals| ("draft", json!(plan_text(goals))))
            .collect(),
    }
}

/// The draft text of a plan with `goals`, as a document entry holds it.
fn plan_text(goals: &str) -> String {
    serde_json::to_string(&crate::documents::plan(goals)).unwrap()
}

#[derive(Debug, Clone)]
enum Step {
    Add {
        on: usize,
        kind: Kind,
        pulse: u16,
    },
    Field {
        on: usize,
        entry: usize,
        field: usize,
    },
    Patient {
        on: usize,
        phone: usize,
        level: Option<usize>,
    },
    Void {
        on: usize,
        entry: usize,
    },
    NoKnownAllergies {
        on: usize,
    },
    Resolve {
        on: usize,
        pick: usize,
    },
    Merge {
        into: usize,
        from: usize,
    },
    Approve {
        on: usize,
        entry: usize,
    },
}

const PHONES: [&str; 3] = ["0266-41-0000", "090-1234-5678", "080-9999-0000"];

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Visit),
        Just(Kind::Allergy),
        Just(Kind::Condition),
        Just(Kind::Medication),
        Just(Kind::Order),
        Just(Kind::Assessment),
        Just(Kind::Document)
    ]
}

fn step(replicas: usize) -> impl Strategy<Value = Step> {
    let on = 0..replicas;
    prop_oneof![
        2 => (on.clone(), kind(), 50u16..120).prop_map(|(on, kind, pulse)| Step::Add { on, kind, pulse }),
        3 => (on.clone(), any::<usize>(), any::<usize>()).prop_map(|(on, entry, field)| Step::Field { on, entry, field }),
        1 => (on.clone(), 0..PHONES.len(), prop::option::of(0..CareLevel::ALL.len()))
            .prop_map(|(on, phone, level)| Step::Patient { on, phone, level }),
        1 => (on.clone(), any::<usize>()).prop_map(|(on, entry)| Step::Void { on, entry }),
        1 => on.clone().prop_map(|on| Step::NoKnownAllergies { on }),
        2 => (on.clone(), any::<usize>()).prop_map(|(on, pick)| Step::Resolve { on, pick }),
        2 => (on.clone(), any::<usize>()).prop_map(|(on, entry)| Step::Approve { on, entry }),
        3 => (on.clone(), on).prop_map(|(into, from)| Step::Merge { into, from }),
    ]
}

/// Replicas of one chart, started from a random chart, and the entries made.
struct Replicas {
    charts: Vec<Chart>,
    authors: Vec<Author>,
    entries: Vec<(EntryId, Kind)>,
    clock: i64,
}

impl Replicas {
    fn new(count: usize, start: &[Kind]) -> Replicas {
        let authors: Vec<Author> = (0..count)
            .map(|i| author(&format!("nurse{i}"), &format!("device-{i}")))
            .collect();
        let mut r = Replicas {
            charts: vec![new_chart(&authors[0])],
            authors,
            entries: Vec::new(),
            clock: 10,
        };
        for kind in start {
            r.add(0, *kind, 72).unwrap();
        }
        let base = r.charts.remove(0);
        r.charts = r.authors.iter().map(|a| replica(&base, a, 1)).collect();
        r
    }

    fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    fn add(&mut self, on: usize, kind: Kind, pulse: u16) -> Result<(), RecordError> {
        let minutes = self.tick();
        let id = entry_id(1000 + self.entries.len() as u64);
        let edit = edit(&self.authors[on], minutes);
        let chart = &mut self.charts[on];
        match kind {
            Kind::Visit => chart.record_visit(&id, &visit(minutes, pulse), &edit)?,
            Kind::Allergy => chart.add_allergy(&id, &penicillin(), &edit)?,
            Kind::Condition => chart.add_condition(&id, &hypertension(), &edit)?,
            Kind::Medication => chart.add_medication(&id, &amlodipine(), &edit)?,
            Kind::Order => chart.add_order(&id, &regular_order(), &edit)?,
            Kind::Assessment => chart.record_assessment(
                &id,
                &karte_test_support::barthel(minutes, [10, 15, 5, 10, 0, 10, 5, 10, 10, 10]),
                &edit,
            )?,
            Kind::Document => chart.add_document(
                &id,
                &karte_types::DocumentEntryInput::of(&crate::documents::plan("自宅で過ごす")),
                &edit,
            )?,
        }
        self.entries.push((id, kind));
        Ok(())
    }

    fn run(&mut self, step: &Step) -> Result<(), RecordError> {
        let minutes = self.tick();
        let on = match *step {
            Step::Add { on, .. }
            | Step::Field { on, .. }
            | Step::Patient { on, .. }
            | Step::Void { on, .. }
            | Step::NoKnownAllergies { on }
            | Step::Resolve { on, .. }
            | Step::Merge { into: on, .. }
            | Step::Approve { on, .. } => on,
        };
        let author = self.authors[on].clone();
        let edit = edit(&author, minutes);
        match *step {
            Step::Add { on, kind, pulse } => self.add(on, kind, pulse),
            Step::Field { entry, field, .. } => {
                let Some((id, kind)) = self.entry(entry) else {
                    return Ok(());
                };
                let choices = fields(kind);
                let (name, value) = &choices[field % choices.len()];
                self.charts[on].set_entry_field(&id, name, value, &edit)
            }
            Step::Patient { phone, level, .. } => {
                let mut patient = self.charts[on].view()?.patient;
                patient.phone = Some(PHONES[phone].to_owned());
                patient.care_level = level.map(|l| CareLevel::ALL[l]);
                self.charts[on].update_demographics(&patient, &edit)
            }
            Step::Void { entry, .. } => match self.entry(entry) {
                Some((id, _)) => self.charts[on].void_entry(&id, "別の利用者の記録", &edit),
                None => Ok(()),
            },
            Step::NoKnownAllergies { .. } => self.charts[on].set_no_known_allergies(&edit),
            Step::Resolve { pick, .. } => {
                let open: Vec<_> = self.charts[on]
                    .view()?
                    .reviews
                    .into_iter()
                    .filter(|r| r.resolution.is_none())
                    .collect();
                let Some(review) = open.get(pick % open.len().max(1)) else {
                    return Ok(());
                };
                let chosen = match review.kind {
                    ReviewKind::ConcurrentValues => {
                        review.values[pick % review.values.len()].value.clone()
                    }
                    ReviewKind::Clinical { .. } => "確認済み".to_owned(),
                };
                self.charts[on].resolve_review(&review.id, &chosen, &edit)
            }
            Step::Merge { into, from } if into != from => {
                let mut other = std::mem::replace(&mut self.charts[from], new_chart(&author));
                let result = self.charts[into].merge(&mut other, &edit).map(|_| ());
                self.charts[from] = other;
                result
            }
            Step::Merge { .. } => Ok(()),
            Step::Approve { entry, .. } => match self.entry(entry) {
                Some((id, Kind::Document)) => self.charts[on].approve_document(&id, &edit),
                _ => Ok(()),
            },
        }
    }

    fn entry(&self, pick: usize) -> Option<(EntryId, Kind)> {
        (!self.entries.is_empty()).then(|| self.entries[pick % self.entries.len()].clone())
    }

    /// The device whose actor wrote the change `hash` of `chart`.
    fn signer_of(
        &self,
        chart: &Automerge,
        hash: &automerge::ChangeHash,
    ) -> Option<karte_types::DeviceId> {
        let change = chart.get_change_by_hash(hash)?;
        self.authors
            .iter()
            .find(|a| actor_is_of_device(change.actor_id(), &a.device))
            .map(|a| a.device.clone())
    }
}

fn regular_order() -> karte_types::OrderInput {
    let from = karte_types::Date::from_ymd(2026, 11, 1).unwrap();
    karte_test_support::regular_order(from, karte_types::Date::from_ymd(2027, 1, 31))
}

/// Errors an edit may meet on a replica that lacks what it is about, or
/// that refuses it for a clinical or validation reason: not what is tested.
fn expected_refusal(error: &RecordError) -> bool {
    matches!(
        error.code().as_str(),
        "unknown_entry" | "unknown_field" | "invalid_input" | "active_allergies" | "unknown_review"
    )
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Kind>, Vec<Step>)> {
    (2usize..=3).prop_flat_map(|replicas| {
        (
            Just(replicas),
            prop::collection::vec(kind(), 0..4),
            prop::collection::vec(step(replicas), 1..30),
        )
    })
}

/// Ways a modified Karte could rewrite an honest change, and the code each
/// is refused with.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    /// The last operation deletes what it wrote.
    Delete,
    /// The last key written is one no chart has.
    RenameKey,
    /// The last value written is a counter.
    Counter,
    /// The first operation overwrites other values than its author saw.
    OtherPred,
    /// The message names another device than the one that signs.
    OtherDevice,
    NoMessage,
    /// Dated three days later than it arrives.
    Postdated,
}

impl Mutation {
    fn code(self) -> &'static str {
        match self {
            Mutation::Delete | Mutation::RenameKey | Mutation::Counter | Mutation::OtherPred => {
                "forbidden_change"
            }
            Mutation::OtherDevice | Mutation::NoMessage => "misattributed_change",
            Mutation::Postdated => "implausible_change_time",
        }
    }

    fn apply(self, change: &mut automerge::ExpandedChange) {
        let last = change.operations.len() - 1;
        match self {
            Mutation::Delete => change.operations[last].action = OpType::Delete,
            Mutation::RenameKey => change.operations[last].key = Key::Map("mallory".into()),
            Mutation::Counter => {
                change.operations[last].action = OpType::Put(ScalarValue::counter(1))
            }
            Mutation::OtherPred => {
                let op = &mut change.operations[0];
                op.pred = if op.pred.is_empty() {
                    vec![OpId(1, change.actor_id.clone())].into()
                } else {
                    Vec::new().into()
                };
            }
            Mutation::OtherDevice | Mutation::NoMessage | Mutation::Postdated => {
                let mut message: Value =
                    serde_json::from_str(change.message.as_deref().unwrap()).unwrap();
                match self {
                    Mutation::OtherDevice => message["author"]["device"] = json!("device-other"),
                    Mutation::Postdated => {
                        let at = message["at"].as_i64().unwrap() + 3 * 24 * 3_600_000;
                        message["at"] = json!(at);
                        change.time = at / 1000;
                    }
                    _ => {}
                }
                change.message = match self {
                    Mutation::NoMessage => None,
                    _ => Some(message.to_string()),
                };
            }
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        Just(Mutation::RenameKey),
        Just(Mutation::Counter),
        Just(Mutation::OtherPred),
        Just(Mutation::OtherDevice),
        Just(Mutation::NoMessage),
        Just(Mutation::Postdated),
    ]
}

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn every_change_the_edit_api_makes_passes_the_check((replicas, start, steps) in scenario()) {
        let mut r = Replicas::new(replicas, &start);
        for step in &steps {
            if let Err(error) = r.run(step) {
                prop_assert!(expected_refusal(&error), "{step:?} failed: {error}");
            }
        }
        // Every replica's whole history, received in causal order by a
        // replica that holds nothing yet, as a fresh device or the hub
        // receives it: each change is checked against the chart with every
        // change before it, concurrent ones included.
        let received_at = at(r.clock + 60);
        for chart in &r.charts {
            let doc = Automerge::load(&chart.save()).unwrap();
            let bytes: Vec<u8> = doc.get_changes(&[]).iter().flat_map(|c| c.raw_bytes().to_vec()).collect();
            let checked = Chart::check_received(None, &chart.id(), &bytes, |hash| r.signer_of(&doc, hash), received_at);
            prop_assert!(checked.is_ok(), "{:?}", checked);
        }
    }

    #[test]
    fn an_honest_change_rewritten_is_refused(
        (replicas, start, steps) in scenario(),
        edit in step(1),
        mutation in mutation(),
    ) {
        let mut r = Replicas::new(replicas, &start);
        for step in &steps {
            let _ = r.run(step);
        }
        let before = reload(&r.charts[0], &r.authors[0], 5);
        if let Err(error) = r.run(&edit) {
            prop_assert!(expected_refusal(&error), "{edit:?} failed: {error}");
        }
        let device = r.authors[0].device.clone();
        let made = r.charts[0].own_changes_since(&device, &before.heads());
        // An edit that wrote nothing (a value already held), or a merge,
        // which makes a change only when it records review items.
        prop_assume!(made.len() == 1 && !matches!(edit, Step::Merge { .. }));
        let received_at = Timestamp(at(r.clock).0 + 3_600_000);
        let check = |bytes: &[u8]| {
            Chart::check_received(Some(&before), &before.id(), bytes, |_| Some(device.clone()), received_at)
        };
        prop_assert!(check(&made[0]).is_ok(), "{:?}", check(&made[0]));
        let forged = rewrite(&made[0], |change| mutation.apply(change));
        match check(&forged) {
            Ok(()) => prop_assert!(false, "{mutation:?} of {edit:?} passed"),
            Err(error) => prop_assert_eq!(error.code().as_str(), mutation.code(), "{}", error),
        }
    }
}

/// The verdict of checking `line` against `before` one change at a time,
/// each against a copy of the chart with the changes before it applied:
/// how `Chart::check_received` checked a line before it checked one at
/// once, kept here as the reference the one-at-once check must match.
fn one_by_one(
    before: &Automerge,
    patient: &karte_types::PatientId,
    line: &[automerge::Change],
    signer_of: &dyn Fn(&automerge::Change) -> Option<karte_types::DeviceId>,
    received_at: Timestamp,
) -> Result<(), RecordError> {
    let mut chart = before.clone();
    for change in line {
        if chart.get_change_meta_by_hash(&change.hash()).is_some() {
            continue;
        }
        let signer = signer_of(change).ok_or_else(|| RecordError::MisattributedChange {
            hash: change.hash().to_string(),
            why: "it carries no device's signature".to_owned(),
        })?;
        let delivery = karte_record::Delivery {
            signer: &signer,
            received_at,
        };
        karte_record::check_change(&chart, patient, change, &delivery)?;
        chart.apply_changes([change.clone()])?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(proptest_config(48))]

    /// A line of changes checked at once (`check_line`, which
    /// `Chart::check_received` and the hub run first) accepts exactly the
    /// lines the one-by-one check accepts, and `check_received` refuses the
    /// others naming the same change with the same code and reason: on
    /// whole honest histories, on those with one change rewritten as a
    /// modified Karte could, and on those with two changes out of order,
    /// received by a replica holding nothing or a part of the chart.
    #[test]
    fn a_line_checked_at_once_gets_the_verdict_of_one_by_one(
        (replicas, start, steps) in scenario(),
        mutation in proptest::option::of(mutation()),
        pick in any::<proptest::sample::Index>(),
        held in any::<proptest::sample::Index>(),
        swap in any::<bool>(),
    ) {
        let mut r = Replicas::new(replicas, &start);
        for step in &steps {
            let _ = r.run(step);
        }
        let received_at = at(r.clock + 60);
        let chart = &r.charts[0];
        let doc = Automerge::load(&chart.save()).unwrap();
        let mut raw: Vec<Vec<u8>> =
            doc.get_changes(&[]).iter().map(|c| c.raw_bytes().to_vec()).collect();
        let i = pick.index(raw.len());
        if let Some(mutation) = mutation {
            let picked = automerge::Change::try_from(raw[i].as_slice()).unwrap();
            if !picked.is_empty() {
                raw[i] = rewrite(&raw[i], |change| mutation.apply(change));
            }
        }
        if swap && i + 1 < raw.len() {
            raw.swap(i, i + 1);
        }
        let line: Vec<automerge::Change> = raw
            .iter()
            .map(|bytes| automerge::Change::try_from(bytes.as_slice()).unwrap())
            .collect();
        let signer_of = |change: &automerge::Change| {
            r.authors
                .iter()
                .find(|a| actor_is_of_device(change.actor_id(), &a.device))
                .map(|a| a.device.clone())
        };
        // The receiver holds the first `split` changes of the honest history.
        let split = held.index(raw.len());
        let mut before = Automerge::new();
        before.apply_changes(doc.get_changes(&[]).into_iter().take(split)).unwrap();
        let patient = chart.id();
        let expected = one_by_one(&before, &patient, &line, &signer_of, received_at);
        let at_once = karte_record::check_and_apply(
            &before,
            &patient,
            line.clone(),
            |_, c| signer_of(c),
            received_at,
        );
        match (&at_once, &expected) {
            (Ok(after), Ok(())) => {
                let mut heads = after.get_heads();
                let mut one_by_one_doc = before.clone();
                one_by_one_doc.apply_changes(line.clone()).unwrap();
                let mut expected_heads = one_by_one_doc.get_heads();
                heads.sort();
                expected_heads.sort();
                prop_assert_eq!(heads, expected_heads);
            }
            (Err(got), Err(want)) => {
                prop_assert_eq!(got.code().as_str(), want.code().as_str());
                prop_assert_eq!(got.to_string(), want.to_string());
            }
            _ => prop_assert!(false, "at once {at_once:?}, one by one {expected:?}"),
        }
        let held_chart = (split > 0).then(|| {
            Chart::load(automerge::ActorId::from([7u8; 16]), &[&before.save()]).unwrap()
        });
        let signer_by_hash = |hash: &automerge::ChangeHash| {
            line.iter().find(|c| c.hash() == *hash).and_then(signer_of)
        };
        let received = Chart::check_received(
            held_chart.as_ref(),
            &patient,
            &raw.concat(),
            signer_by_hash,
            received_at,
        );
        match (&received, &expected) {
            (Ok(()), Ok(())) => {}
            (Err(got), Err(want)) => {
                prop_assert_eq!(got.code().as_str(), want.code().as_str());
                prop_assert_eq!(got.to_string(), want.to_string());
            }
            _ => prop_assert!(false, "at once {received:?}, one by one {expected:?}"),
        }
    }
}

proptest! {
    #![proptest_config(proptest_config(48))]

    /// A chart new to the receiver that came whole, taken as loaded
    /// (`check_loaded`, which the hub runs on a chart pushed whole), gets
    /// the verdict of checking its changes one by one into an empty chart,
    /// and the same refusal: on honest histories of one or more authors,
    /// on those with one change rewritten as a modified Karte could (a
    /// delete, a forged author, a postdated change, …), and on those with
    /// a second first change of the same patient added.
    #[test]
    fn a_chart_received_whole_gets_the_verdict_of_one_by_one(
        (replicas, start, steps) in scenario(),
        mutation in proptest::option::of(mutation()),
        pick in any::<proptest::sample::Index>(),
        second_first in any::<bool>(),
    ) {
        let mut r = Replicas::new(replicas, &start);
        for step in &steps {
            let _ = r.run(step);
        }
        let received_at = at(r.clock + 60);
        let chart = &r.charts[0];
        let doc = Automerge::load(&chart.save()).unwrap();
        let mut line: Vec<automerge::Change> = doc.get_changes(&[]);
        let i = pick.index(line.len());
        let mut dishonest = second_first;
        if let Some(mutation) = mutation
            && !line[i].is_empty()
        {
            let forged = rewrite(line[i].raw_bytes(), |change| mutation.apply(change));
            line[i] = automerge::Change::try_from(forged.as_slice()).unwrap();
            dishonest = true;
        }
        if second_first {
            let author = &r.authors[0];
            let other = Chart::create(actor(author, 9), &chart.id(), &yamada(), &edit(author, 1))
                .unwrap();
            let other = Automerge::load(&other.save()).unwrap();
            line.extend(other.get_changes(&[]));
        }
        // The chart as a device would save it: Automerge must take the
        // changes (a rewritten change may no longer fit the ones after it).
        let mut whole = Automerge::new();
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            whole.apply_changes(line.clone())
        }));
        prop_assume!(matches!(applied, Ok(Ok(()))));
        prop_assume!(whole.get_missing_deps(&[]).is_empty());
        // Nor may the saved chart fail to load: the hub refuses such bytes
        // as unreadable before any chart check.
        let saved = whole.save();
        let loaded = std::panic::catch_unwind(|| Automerge::load(&saved));
        prop_assume!(matches!(loaded, Ok(Ok(_))));
        let Ok(Ok(loaded)) = loaded else { unreachable!() };
        let listed = loaded.get_changes(&[]);
        let signer_of = |change: &automerge::Change| {
            r.authors
                .iter()
                .find(|a| actor_is_of_device(change.actor_id(), &a.device))
                .map(|a| a.device.clone())
        };
        let patient = chart.id();
        let expected = one_by_one(&Automerge::new(), &patient, &listed, &signer_of, received_at);
        let taken = karte_record::check_loaded(loaded, &patient, &listed, |_, c| signer_of(c), received_at);
        match (&taken, &expected) {
            (Ok(taken), Ok(())) => {
                let mut heads = taken.get_heads();
                let mut expected_heads = whole.get_heads();
                heads.sort();
                expected_heads.sort();
                prop_assert_eq!(heads, expected_heads);
                prop_assert!(!dishonest, "a dishonest chart passed");
            }
            (Err(got), Err(want)) => {
                prop_assert_eq!(got.code().as_str(), want.code().as_str());
                prop_assert_eq!(got.to_string(), want.to_string());
            }
            _ => prop_assert!(false, "taken whole {taken:?}, one by one {expected:?}"),
        }
    }
}
