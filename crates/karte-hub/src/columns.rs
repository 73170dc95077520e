//! Turning database column values into the model's types, and back, the same
//! way for both backends. A value of the wrong shape is a damaged database.

use crate::HubStoreError;

pub(crate) fn hash32(bytes: Vec<u8>) -> Result<[u8; 32], HubStoreError> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|b| HubStoreError::corrupt(format!("a hash of {} bytes", b.len())))
}

pub(crate) fn prefix16(bytes: Vec<u8>) -> Result<[u8; 16], HubStoreError> {
    <[u8; 16]>::try_from(bytes)
        .map_err(|b| HubStoreError::corrupt(format!("an actor prefix of {} bytes", b.len())))
}

/// A feed position as the databases store it (a signed 64-bit integer).
pub(crate) fn position_to_sql(position: u64) -> i64 {
    // A cursor comes from a device and may be anything; one past every real
    // position reads as "the end of the feed".
    i64::try_from(position).unwrap_or(i64::MAX)
}

pub(crate) fn position_from_sql(position: i64) -> Result<u64, HubStoreError> {
    u64::try_from(position).map_err(|_| HubStoreError::corrupt(format!("feed position {position}")))
}

/// The doc ids of a receipt, as one text column.
pub(crate) fn docs_to_text(docs: &[karte_types::PatientId]) -> String {
    serde_json::to_string(docs).expect("a list of strings serialises")
}

pub(crate) fn docs_from_text(text: &str) -> Result<Vec<karte_types::PatientId>, HubStoreError> {
    serde_json::from_str(text).map_err(|_| HubStoreError::corrupt("a receipt's chart list"))
}

/// A snapshot's arrival as one text column (JSON). One that does not read
/// is worked out again rather than failing a sync: it is a cache.
pub(crate) fn arrival_to_text(arrival: &crate::Arrival) -> String {
    serde_json::to_string(arrival).expect("an arrival serialises")
}

pub(crate) fn arrival_from_text(text: Option<String>) -> Option<crate::Arrival> {
    serde_json::from_str(&text?).ok()
}
