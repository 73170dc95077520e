//! The naive allocation of feed positions in PostgreSQL, a test hook kept
//! to show that the feed test catches it: positions come from a database
//! sequence inside the push's transaction, without `FEED_LOCK`. `nextval`
//! is not transactional, so a writer holding 5 can commit after one holding
//! 6, and a reader that saw 6 has moved its cursor past 5.

use deadpool_postgres::Object;
use karte_types::{DeviceId, Timestamp};

use super::{PostgresRows, pause};
use crate::at_rest::Keyring;
use crate::feed::Positions;
use crate::rules;
use crate::{HubStoreError, PushOutcome, PushedDoc, StoreConfig};

/// Creates the sequence positions are taken from.
pub(super) async fn prepare(client: &Object) -> Result<(), HubStoreError> {
    client
        .batch_execute("CREATE SEQUENCE IF NOT EXISTS naive_feed_positions")
        .await?;
    Ok(())
}

/// Stores a push with positions from the sequence, waiting the test hook's
/// delay before it commits.
pub(super) async fn store_push(
    client: &mut Object,
    config: &StoreConfig,
    keys: &Keyring,
    device: &DeviceId,
    batch: &[PushedDoc],
    now: Timestamp,
) -> Result<PushOutcome, HubStoreError> {
    let wanted: i64 = batch.iter().map(|pushed| pushed.changes.len() as i64).sum();
    let tx = client.transaction().await?;
    let mut reserved: Vec<u64> = tx
        .query(
            "SELECT nextval('naive_feed_positions') FROM generate_series(1, $1::bigint)",
            &[&wanted],
        )
        .await?
        .iter()
        .map(|row| row.get::<_, i64>(0) as u64)
        .collect();
    reserved.sort_unstable();
    let mut positions = Positions::reserved(reserved);
    let outcome =
        rules::write_push(&PostgresRows(&tx), keys, &mut positions, device, batch, now).await?;
    pause(config, positions.allocated()).await;
    tx.commit().await?;
    Ok(outcome)
}
