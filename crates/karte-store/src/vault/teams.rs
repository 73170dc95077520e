//! Which principals (the organisation, field teams) a chart belongs to on
//! this device, in its sealed app values (`chart-scope:<chart>`, no table
//! of its own). A peer session under one principal carries only that
//! principal's charts. The store keeps bytes; their meaning is the
//! application's. The teams themselves (key, certs, list) live in the
//! trust store.

use karte_types::PatientId;

use crate::{AuditEvent, StoreError, Vault, app_values};

fn scope_name(chart: &PatientId) -> String {
    format!("chart-scope:{chart}")
}

impl Vault {
    /// The principals `chart` was recorded under, as they were written;
    /// `None` if none were.
    pub fn chart_scope(&self, chart: &PatientId) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, &scope_name(chart))
    }

    /// Records the principals of several charts, and the audit entry if
    /// any, in one transaction.
    pub fn set_chart_scopes(
        &mut self,
        scopes: &[(PatientId, Vec<u8>)],
        event: Option<AuditEvent>,
    ) -> Result<(), StoreError> {
        self.transact(event, |conn, key| {
            for (chart, scope) in scopes {
                app_values::put(conn, key, &scope_name(chart), scope)?;
            }
            Ok(())
        })
    }

    /// Writes entries of the trust store and the audit entry in one
    /// transaction (a team made or joined).
    pub fn put_trust_audited(
        &mut self,
        entries: &[(String, Vec<u8>)],
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(event), |conn, key| {
            for (id, value) in entries {
                crate::trust_store::put(conn, key, id, value)?;
            }
            Ok(())
        })
    }
}
