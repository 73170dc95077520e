//! Sharing requested by a device: each (chart, organisation) of a request
//! adds the organisation to the chart's care circle. Everything is checked
//! before the request's pushes are stored, and the shares are applied after
//! them, so a chart created by a request can be shared by it.

use axum::http::StatusCode;
use karte_types::{PatientId, Timestamp};

use crate::server::problem::Problem;
use crate::{Device, Hub, HubStore, HubStoreError, OrgId};

/// A share that passed its checks.
#[derive(Debug)]
pub(super) struct Share {
    doc: PatientId,
    org: OrgId,
}

/// Checks that the device's organisation may see every chart it asks to
/// share (or that the request's pushes create it) and that every
/// organisation exists.
pub(super) async fn check<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    shares: Vec<(PatientId, String)>,
    pushed: &[PatientId],
) -> Result<Vec<Share>, Problem> {
    let mut checked: Vec<Share> = Vec::with_capacity(shares.len());
    for (doc, org) in shares {
        let org = OrgId(org);
        match hub.store().doc(&doc).await? {
            Some(record) if !record.circle.contains(&device.org) => {
                return Err(HubStoreError::OutsideCircle {
                    doc,
                    org: device.org.clone(),
                }
                .into());
            }
            Some(_) => {}
            None if pushed.contains(&doc) => {}
            None => {
                return Err(Problem::new(
                    StatusCode::NOT_FOUND,
                    "unknown_doc",
                    format!(
                        "chart {} is not at the hub: push it before sharing it, or in the same request",
                        doc.as_str().chars().take(80).collect::<String>()
                    ),
                ));
            }
        }
        if hub.store().org(&org).await?.is_none() {
            return Err(HubStoreError::UnknownOrg(org).into());
        }
        if !checked.iter().any(|s| s.doc == doc && s.org == org) {
            checked.push(Share { doc, org });
        }
    }
    Ok(checked)
}

/// Applies checked shares; sharing a chart twice changes nothing.
pub(super) async fn apply<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    shares: Vec<Share>,
    now: Timestamp,
) -> Result<(), Problem> {
    for share in shares {
        if let Some(position) = hub.store().share(&share.doc, &share.org, now).await? {
            tracing::info!(
                device = %device.id,
                doc = %share.doc,
                org = %share.org,
                position,
                "chart shared"
            );
        }
    }
    Ok(())
}
