//! What the vault keeps of peer sync on the local network, in its sealed
//! app values (no table of its own): the last exchange with each device
//! (`peer-exchanges`, one value for all, written with the exchange's audit
//! entry).

use crate::{AuditEvent, StoreError, Vault, app_values};

const EXCHANGES: &str = "peer-exchanges";

impl Vault {
    /// The last exchanges kept, as they were written.
    pub fn peer_exchanges(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, EXCHANGES)
    }

    /// Keeps `exchanges` (what [`Vault::peer_exchanges`] answers next) and
    /// the exchange's audit entry, if any, in one transaction.
    pub fn record_peer_exchanges(
        &mut self,
        exchanges: &[u8],
        event: Option<AuditEvent>,
    ) -> Result<(), StoreError> {
        self.transact(event, |conn, key| {
            app_values::put(conn, key, EXCHANGES, exchanges)
        })
    }
}
