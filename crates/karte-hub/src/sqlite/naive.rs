//! The naive allocation of feed positions in SQLite, a test hook kept to
//! show that the feed test catches it: positions are reserved from a
//! counter in their own transaction, then the push is written in another.
//! A writer that reserved 5 can commit after one that reserved 6, and a
//! reader that saw 6 has moved its cursor past 5 for good.

use karte_types::{DeviceId, Timestamp};
use rusqlite::{Connection, TransactionBehavior};

use super::{SqliteRows, finish, pause};
use crate::at_rest::Keyring;
use crate::feed::Positions;
use crate::rules;
use crate::{HubStoreError, PushOutcome, PushedDoc, StoreConfig};

/// Creates the counter positions are reserved from, as a database sequence
/// would hand them out.
pub(super) fn prepare(conn: &Connection) -> Result<(), HubStoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS naive_feed_counter (next INTEGER NOT NULL);
         INSERT INTO naive_feed_counter SELECT 0
         WHERE NOT EXISTS (SELECT 1 FROM naive_feed_counter);",
    )?;
    Ok(())
}

/// Stores a push with positions reserved before its transaction, waiting
/// the test hook's delay between the two.
pub(super) fn store_push(
    conn: &mut Connection,
    config: &StoreConfig,
    keys: &Keyring,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    let wanted: i64 = batch.iter().map(|pushed| pushed.changes.len() as i64).sum();
    let reserve = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let start: i64 = reserve.query_row(
        "UPDATE naive_feed_counter SET next = next + ?1 RETURNING next - ?1",
        [wanted],
        |r| r.get(0),
    )?;
    reserve.commit()?;
    let reserved: Vec<u64> = (start + 1..=start + wanted).map(|p| p as u64).collect();
    pause(config, &reserved);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut positions = Positions::reserved(reserved);
    let outcome = finish(rules::write_push(
        &SqliteRows(&tx),
        keys,
        &mut positions,
        device,
        batch,
        now,
    ))?;
    tx.commit()?;
    Ok(outcome)
}
