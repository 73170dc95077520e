//! A change read as what it writes: for each object of the chart that
//! existed before it, the keys it writes there and their values, with the
//! maps the change makes itself written out as JSON objects. Whatever has
//! no place in that picture is refused here: deletes, counters, lists and
//! text, writes into objects outside the layout, and writes that do not
//! overwrite exactly what their author saw.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;

use automerge::legacy::{Key, ObjectId, Op, OpId, OpType};
use automerge::{ActorId, Change, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, ValueRef};
use serde_json::{Map, Value};

use super::Refuse;
use super::before::ChartBefore;
use crate::RecordError;
use crate::json::{scalar_to_json, value_to_json};
use crate::layout::Collection;

/// An object that existed before the change, and that a change of Karte
/// may write into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Place {
    Root,
    /// A map at the root, by its key: `patient`, `visits`, `reviews`, …
    Container(String),
    /// An entry of a collection, by its id.
    Entry {
        collection: Collection,
        id: String,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Root => f.write_str("the chart's root"),
            Place::Container(key) => write!(f, "'{key}'"),
            Place::Entry { collection, id } => write!(f, "{}/{id}", collection.key()),
        }
    }
}

/// One key a change writes into an object that existed before it.
#[derive(Debug, Clone)]
pub(super) struct Write {
    pub key: String,
    /// The value; a map the change made is a JSON object of what it wrote there.
    pub value: Value,
    /// Whether the key held a value when the change was made (in the chart
    /// at the change's dependencies), which the write overwrites.
    pub seen: bool,
}

/// What a change writes into one object that existed before it.
#[derive(Debug, Clone)]
pub(super) struct Patch {
    pub place: Place,
    pub obj: ObjId,
    pub writes: Vec<Write>,
}

/// How deep the maps a change makes may nest below an object that existed:
/// an entry's entered-in-error mark holds the map of who voided it.
const MAX_DEPTH: usize = 2;

/// The value of one operation, before the maps are written out.
enum Slot {
    Scalar(Value),
    /// The map made by the operation with this counter.
    Map(u64),
    /// A delete of some of the concurrent values of a key that keeps one:
    /// how Automerge 0.12 writes a value equal to the one that wins (it
    /// deletes the others), as a review resolution settling on that value
    /// does. It writes, in effect, the value kept.
    Settle,
}

/// A map the change makes: where, how deep, and what the change writes there.
struct Made {
    /// Where it is put, as a refusal names it: `'by' of 'allergy_assessment'`.
    name: String,
    depth: usize,
    keys: BTreeMap<String, Slot>,
}

/// Keys written into an object that existed, with the operations each write
/// overwrites (its `pred`).
struct Touched {
    place: Place,
    obj: ObjId,
    keys: Vec<(String, Slot, BTreeSet<OpKey>)>,
}

/// An operation or object, as a change names it: its counter and actor.
type OpKey = (u64, ActorId);

/// Reads `change`, made on `chart`, into patches, one per object that
/// existed and that it writes into.
pub(super) fn read(
    chart: &ChartBefore<'_>,
    change: &Change,
    refuse: &Refuse,
) -> Result<Vec<Patch>, RecordError> {
    // Automerge 0.12 panics on some operations it parsed but cannot expand.
    let expanded = std::panic::catch_unwind(AssertUnwindSafe(|| change.decode()))
        .map_err(|_| refuse.forbidden("its operations cannot be read"))?;
    let mut reader = Reader {
        chart,
        change,
        refuse,
        places: Places::new(chart),
        made: HashMap::new(),
        touched: Vec::new(),
    };
    for (counter, op) in (change.start_op().get()..).zip(&expanded.operations) {
        reader.op(counter, op)?;
    }
    reader.patches()
}

/// Where an operation writes.
enum Target {
    /// A map made earlier in the change, by the counter of its operation.
    Made(u64),
    Existing(Place, ObjId),
}

/// A change being read, operation by operation.
struct Reader<'a> {
    chart: &'a ChartBefore<'a>,
    change: &'a Change,
    refuse: &'a Refuse,
    places: Places<'a>,
    made: HashMap<u64, Made>,
    touched: Vec<Touched>,
}

impl Reader<'_> {
    /// Reads the operation numbered `counter` into the write it makes.
    fn op(&mut self, counter: u64, op: &Op) -> Result<(), RecordError> {
        let key = match (&op.key, op.insert) {
            (Key::Map(key), false) => key.to_string(),
            _ => {
                let why = "it writes into a list or a text, which no chart holds";
                return Err(self.refuse.forbidden(why));
            }
        };
        let target = self.target(&op.obj, &key)?;
        let slot = self.slot(counter, &op.action, &target, &key)?;
        let pred = op.pred.iter().map(|p| (p.0, p.1.clone())).collect();
        self.record(target, key, slot, pred)
    }

    /// The object `obj` names: a map this change made, or an object that
    /// existed where an edit writes.
    fn target(&mut self, obj: &ObjectId, key: &str) -> Result<Target, RecordError> {
        Ok(match obj {
            ObjectId::Root => Target::Existing(Place::Root, ROOT),
            ObjectId::Id(OpId(c, a))
                if a == self.change.actor_id() && self.made.contains_key(c) =>
            {
                Target::Made(*c)
            }
            ObjectId::Id(OpId(c, a)) => match self.places.find(&(*c, a.clone()))? {
                Some((place, obj)) => Target::Existing(place, obj),
                None => {
                    return Err(self.refuse.forbidden(format!(
                        "it writes '{key}' into object {c}@{a}, which is no part of the chart's layout that an edit writes into"
                    )));
                }
            },
        })
    }

    /// The target as a refusal names it.
    fn name(&self, target: &Target) -> String {
        match target {
            Target::Existing(place, _) => place.to_string(),
            Target::Made(c) => self.made[c].name.clone(),
        }
    }

    /// What the operation writes: a plain value, a map, or the settling of
    /// concurrent values; anything else is refused.
    fn slot(
        &mut self,
        counter: u64,
        action: &OpType,
        target: &Target,
        key: &str,
    ) -> Result<Slot, RecordError> {
        let place = self.name(target);
        let depth = match target {
            Target::Made(c) => self.made[c].depth,
            Target::Existing(..) => 0,
        };
        let why = match action {
            OpType::Put(scalar) => match plain(scalar) {
                Some(value) => return Ok(Slot::Scalar(value)),
                None => format!(
                    "it writes a {} at '{key}' of {place}, a kind of value no chart holds",
                    kind_of(scalar)
                ),
            },
            OpType::Make(ObjType::Map) if depth < MAX_DEPTH => {
                let made = Made {
                    name: format!("'{key}' of {place}"),
                    depth: depth + 1,
                    keys: BTreeMap::new(),
                };
                self.made.insert(counter, made);
                return Ok(Slot::Map(counter));
            }
            OpType::Make(ObjType::Map) => {
                format!("it nests maps deeper than any chart does at '{key}' of {place}")
            }
            OpType::Make(other) => format!(
                "it makes a {other} at '{key}' of {place}; a chart holds only maps and plain values"
            ),
            OpType::Delete if matches!(target, Target::Existing(..)) => return Ok(Slot::Settle),
            OpType::Delete => deletes(key, &place),
            OpType::Increment(_) => {
                format!("it increments '{key}' of {place}; a chart holds no counters")
            }
            OpType::MarkBegin(_) | OpType::MarkEnd(_) => {
                format!("it marks text at '{key}' of {place}; a chart holds no marked text")
            }
        };
        Err(self.refuse.forbidden(why))
    }

    /// Files the write under its object. A change writes each key once;
    /// inside a map it makes, it overwrites nothing.
    fn record(
        &mut self,
        target: Target,
        key: String,
        slot: Slot,
        pred: BTreeSet<OpKey>,
    ) -> Result<(), RecordError> {
        let place = self.name(&target);
        let twice = || format!("it writes '{key}' of {place} twice");
        match target {
            Target::Made(c) => {
                if !pred.is_empty() {
                    return Err(self.refuse.forbidden(format!(
                        "it overwrites '{key}' of {place}, in a map it makes itself"
                    )));
                }
                let keys = &mut self.made.get_mut(&c).expect("a made map").keys;
                if keys.contains_key(&key) {
                    return Err(self.refuse.forbidden(twice()));
                }
                keys.insert(key, slot);
            }
            Target::Existing(place, obj) => {
                let i = match self.touched.iter().position(|t| t.obj == obj) {
                    Some(i) => i,
                    None => {
                        let keys = Vec::new();
                        self.touched.push(Touched { place, obj, keys });
                        self.touched.len() - 1
                    }
                };
                if self.touched[i].keys.iter().any(|(k, _, _)| *k == key) {
                    return Err(self.refuse.forbidden(twice()));
                }
                self.touched[i].keys.push((key, slot, pred));
            }
        }
        Ok(())
    }

    fn patches(mut self) -> Result<Vec<Patch>, RecordError> {
        let touched = std::mem::take(&mut self.touched);
        touched.into_iter().map(|t| self.patch(t)).collect()
    }

    /// The writes into one object that existed, each checked to overwrite
    /// exactly the values its author saw there: `put` always does, so a
    /// write that overwrites less would leave two values standing (or hide
    /// the one it was written beside), and one that overwrites more names
    /// operations that were never there. A delete must keep exactly one
    /// of the values seen.
    fn patch(&mut self, touched: Touched) -> Result<Patch, RecordError> {
        let place = &touched.place;
        let mut writes = Vec::with_capacity(touched.keys.len());
        for (key, slot, pred) in touched.keys {
            let mut seen = BTreeMap::new();
            let deps = self.change.deps();
            for (value, id) in self.chart.get_all_at(&touched.obj, key.as_str(), deps)? {
                seen.insert(op_key(&id), value_to_json(self.chart, &value, &id));
            }
            let value = match slot {
                Slot::Settle => {
                    let settles = !pred.is_empty() && pred.iter().all(|id| seen.contains_key(id));
                    let mut kept = seen.iter().filter(|(id, _)| !pred.contains(id));
                    match (kept.next(), kept.next()) {
                        (Some((_, value)), None) if settles => value.clone(),
                        _ => return Err(self.refuse.forbidden(deletes(&key, place))),
                    }
                }
                slot if seen.keys().eq(pred.iter()) => write_out(slot, &mut self.made),
                _ => {
                    return Err(self.refuse.forbidden(format!(
                        "it writes '{key}' of {place} without overwriting exactly the {} value(s) its author saw there, which would leave values standing side by side or hide one unseen",
                        seen.len()
                    )));
                }
            };
            let seen = !seen.is_empty();
            writes.push(Write { key, value, seen });
        }
        Ok(Patch {
            place: touched.place,
            obj: touched.obj,
            writes,
        })
    }
}

fn deletes(key: &str, place: &dyn std::fmt::Display) -> String {
    format!(
        "it deletes '{key}' of {place}; nothing in a chart is ever deleted (a mistaken entry is marked entered-in-error)"
    )
}

/// The JSON of a slot: a made map as the object of what was written there.
/// Maps nest at most [`MAX_DEPTH`] deep, so this recursion is shallow.
fn write_out(slot: Slot, made: &mut HashMap<u64, Made>) -> Value {
    match slot {
        Slot::Scalar(value) => value,
        // Settles only values of objects that existed, which `patch` reads.
        Slot::Settle => Value::Null,
        Slot::Map(counter) => {
            let keys = made.remove(&counter).map(|m| m.keys).unwrap_or_default();
            let mut object = Map::new();
            for (key, inner) in keys {
                object.insert(key, write_out(inner, made));
            }
            Value::Object(object)
        }
    }
}

/// The JSON of a plain value, the only scalars a chart holds; `None` for
/// counters, timestamps, bytes and unknown kinds.
fn plain(scalar: &ScalarValue) -> Option<Value> {
    match scalar {
        ScalarValue::Str(_)
        | ScalarValue::Int(_)
        | ScalarValue::Uint(_)
        | ScalarValue::F64(_)
        | ScalarValue::Boolean(_)
        | ScalarValue::Null => Some(scalar_to_json(scalar)),
        ScalarValue::Counter(_)
        | ScalarValue::Timestamp(_)
        | ScalarValue::Bytes(_)
        | ScalarValue::Unknown { .. } => None,
    }
}

fn kind_of(scalar: &ScalarValue) -> &'static str {
    match scalar {
        ScalarValue::Counter(_) => "counter",
        ScalarValue::Timestamp(_) => "timestamp",
        ScalarValue::Bytes(_) => "byte string",
        _ => "value of unknown kind",
    }
}

/// The objects of the chart a change may write into, found on first need:
/// the maps at the root, and every entry.
struct Places<'a> {
    chart: &'a ChartBefore<'a>,
    containers: Option<HashMap<OpKey, (Place, ObjId)>>,
    entries: Option<HashMap<OpKey, (Place, ObjId)>>,
}

impl<'a> Places<'a> {
    fn new(chart: &'a ChartBefore<'a>) -> Places<'a> {
        Places {
            chart,
            containers: None,
            entries: None,
        }
    }

    fn find(&mut self, key: &OpKey) -> Result<Option<(Place, ObjId)>, RecordError> {
        let chart = self.chart;
        let containers = self.containers.get_or_insert_with(|| {
            maps_in(chart, &ROOT)
                .into_iter()
                .map(|(name, obj)| (op_key(&obj), (Place::Container(name), obj)))
                .collect()
        });
        if let Some(found) = containers.get(key) {
            return Ok(Some(found.clone()));
        }
        // Entries are many; they are looked for only when a change writes
        // into something that is not a container.
        let entries = match &mut self.entries {
            Some(entries) => entries,
            None => {
                let mut entries = HashMap::new();
                for collection in Collection::ALL {
                    if let Some((automerge::Value::Object(ObjType::Map), obj)) =
                        chart.get(ROOT, collection.key())?
                    {
                        for (id, entry) in maps_in(chart, &obj) {
                            let place = Place::Entry { collection, id };
                            entries.insert(op_key(&entry), (place, entry));
                        }
                    }
                }
                self.entries.insert(entries)
            }
        };
        Ok(entries.get(key).cloned())
    }
}

/// The maps held in the map `obj`, by key.
fn maps_in(chart: &impl ReadDoc, obj: &ObjId) -> Vec<(String, ObjId)> {
    chart
        .map_range(obj, ..)
        .filter(|item| matches!(item.value, ValueRef::Object(ObjType::Map)))
        .map(|item| (item.key.to_string(), item.id()))
        .collect()
}

/// An object's id as operations name it. The root, which no operation
/// made, is named by the counter 0, which no operation has.
fn op_key(obj: &ObjId) -> OpKey {
    match obj {
        ObjId::Id(counter, actor, _) => (*counter, actor.clone()),
        ObjId::Root => (0, ActorId::from(&[][..])),
    }
}
