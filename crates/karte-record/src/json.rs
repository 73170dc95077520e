//! Values between the Automerge document and JSON.
//!
//! The chart's fields are JSON-shaped: maps of scalars (strings, numbers,
//! booleans, null), nested a level or two. Reading a subtree as
//! `serde_json::Value` lets serde turn it into the `karte-types` structs, and
//! writing compares JSON leaf by leaf so that only what changed is written.

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjId, ObjType, ReadDoc, ScalarValue};
use serde_json::{Map, Number, Value};

/// A JSON value for one Automerge scalar.
pub(crate) fn scalar_to_json(scalar: &ScalarValue) -> Value {
    match scalar {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) => Value::Number((*i).into()),
        ScalarValue::Uint(u) => Value::Number((*u).into()),
        ScalarValue::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        ScalarValue::Counter(c) => Value::Number(i64::from(c).into()),
        ScalarValue::Timestamp(t) => Value::Number((*t).into()),
        ScalarValue::Boolean(b) => Value::Bool(*b),
        ScalarValue::Bytes(bytes) => Value::Array(bytes.iter().map(|b| (*b).into()).collect()),
        ScalarValue::Unknown { .. } | ScalarValue::Null => Value::Null,
    }
}

/// The Automerge scalar for a JSON leaf; `None` for objects and arrays.
pub(crate) fn json_to_scalar(value: &Value) -> Option<ScalarValue> {
    Some(match value {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64()?)
            }
        }
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// A JSON value for one value of a document, reading objects recursively.
pub(crate) fn value_to_json<R: ReadDoc>(
    doc: &R,
    value: &automerge::Value<'_>,
    id: &ObjId,
) -> Value {
    match value {
        automerge::Value::Scalar(s) => scalar_to_json(s),
        automerge::Value::Object(ObjType::Map | ObjType::Table) => read_map(doc, id),
        automerge::Value::Object(ObjType::List) => Value::Array(
            doc.list_range(id, ..)
                .map(|item| {
                    let id = item.id();
                    let value: automerge::Value<'_> = item.value.into();
                    value_to_json(doc, &value, &id)
                })
                .collect(),
        ),
        automerge::Value::Object(ObjType::Text) => Value::String(doc.text(id).unwrap_or_default()),
    }
}

/// The map `obj` as a JSON object (the winning value of every key).
pub(crate) fn read_map<R: ReadDoc>(doc: &R, obj: &ObjId) -> Value {
    let mut out = Map::new();
    for item in doc.map_range(obj, ..) {
        let id = item.id();
        let key = item.key.to_string();
        let value: automerge::Value<'_> = item.value.into();
        out.insert(key, value_to_json(doc, &value, &id));
    }
    Value::Object(out)
}

/// The map `obj` as a JSON object whose dotted keys become nested objects:
/// an entry stored flat, read as serde expects it.
pub(crate) fn read_map_nested<R: ReadDoc>(doc: &R, obj: &ObjId) -> Value {
    let mut out = Map::new();
    for item in doc.map_range(obj, ..) {
        let id = item.id();
        let value: automerge::Value<'_> = item.value.into();
        let value = value_to_json(doc, &value, &id);
        let mut segments = item.key.split('.');
        let mut slot = &mut out;
        let mut key = segments.next().unwrap_or_default();
        for next in segments {
            let inner = slot.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            slot = inner.as_object_mut().expect("made an object above");
            key = next;
        }
        slot.insert(key.to_owned(), value);
    }
    Value::Object(out)
}

/// Writes `value` at `obj[key]`: scalars as scalars, objects as new maps.
pub(crate) fn put_json<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    key: &str,
    value: &Value,
) -> Result<(), AutomergeError> {
    match value {
        Value::Object(fields) => {
            let map = tx.put_object(obj, key, ObjType::Map)?;
            for (k, v) in fields {
                put_json(tx, &map, k, v)?;
            }
        }
        Value::Array(items) => {
            let list = tx.put_object(obj, key, ObjType::List)?;
            for (i, v) in items.iter().enumerate() {
                match json_to_scalar(v) {
                    Some(s) => tx.insert(&list, i, s)?,
                    None => {
                        let inner = tx.insert_object(&list, i, ObjType::Map)?;
                        if let Value::Object(fields) = v {
                            for (k, v) in fields {
                                put_json(tx, &inner, k, v)?;
                            }
                        }
                    }
                }
            }
        }
        scalar => {
            let scalar = json_to_scalar(scalar).expect("a JSON scalar");
            tx.put(obj, key, scalar)?;
        }
    }
    Ok(())
}

/// Writes into the map `obj` only the leaves of `new` that differ from `old`
/// (what the map holds now). Untouched fields keep their history, and with it
/// any concurrent values a person has not reviewed yet.
pub(crate) fn update_map<T: Transactable + ReadDoc>(
    tx: &mut T,
    obj: &ObjId,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), AutomergeError> {
    for (key, new_value) in new {
        match (old.get(key), new_value) {
            (Some(old_value), _) if old_value == new_value => {}
            (Some(Value::Object(old_fields)), Value::Object(new_fields)) => {
                match tx.get(obj, key.as_str())? {
                    Some((automerge::Value::Object(ObjType::Map), inner)) => {
                        update_map(tx, &inner, old_fields, new_fields)?
                    }
                    _ => put_json(tx, obj, key, new_value)?,
                }
            }
            _ => put_json(tx, obj, key, new_value)?,
        }
    }
    Ok(())
}
