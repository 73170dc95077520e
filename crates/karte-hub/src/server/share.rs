//! Sharing and unsharing asked for by a device. Each (chart, organisation)
//! of a request's shares asks for the organisation to enter the chart's
//! care circle, under the rules that organisation's administrator set
//! (`crate::rules` decides: accepted at once, waiting for approval, or
//! refused); each of its unshares removes one. Everything is checked
//! before the request's pushes are stored, and the shares and unshares are
//! applied after them, so a chart created by a request can be shared by it.

use axum::http::StatusCode;
use karte_types::{PatientId, Timestamp};

use crate::server::problem::Problem;
use crate::{
    Device, Hub, HubStore, HubStoreError, OrgId, PendingShare, ShareOutcome, ShareVerdict,
};

/// The circle changes of a request that passed their checks.
#[derive(Debug, Default)]
pub(super) struct CircleChanges {
    shares: Vec<(PatientId, OrgId)>,
    unshares: Vec<(PatientId, OrgId)>,
}

/// Checks that the device's organisation may see every chart it asks to
/// share or unshare (or that the request's pushes create it), that every
/// organisation exists, that the receiving organisation's rules do not
/// refuse a share, and that an unshare removes the device's own
/// organisation or is asked by the chart's owner.
pub(super) async fn check<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    shares: Vec<(PatientId, String)>,
    unshares: Vec<(PatientId, String)>,
    pushed: &[PatientId],
) -> Result<CircleChanges, Problem> {
    let mut checked = CircleChanges::default();
    for (doc, org) in shares {
        let org = OrgId(org);
        let circle = visible_circle(hub, device, &doc, pushed).await?;
        if hub.store().org(&org).await?.is_none() {
            return Err(HubStoreError::UnknownOrg(org).into());
        }
        let in_circle = circle.is_some_and(|circle| circle.contains(&org));
        if !in_circle && hub.store().share_verdict(&org, &device.org).await? == ShareVerdict::Refuse
        {
            return Err(HubStoreError::ShareNotAccepted {
                doc,
                org,
                from: device.org.clone(),
            }
            .into());
        }
        if !checked.shares.contains(&(doc.clone(), org.clone())) {
            checked.shares.push((doc, org));
        }
    }
    for (doc, org) in unshares {
        let org = OrgId(org);
        if visible_circle(hub, device, &doc, pushed).await?.is_none() {
            // Made by this request: nobody else is in its circle yet.
            continue;
        }
        let owner = hub
            .store()
            .doc(&doc)
            .await?
            .map(|record| record.owner)
            .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))?;
        if owner == org {
            return Err(HubStoreError::OwnerCannotLeave { doc, org }.into());
        }
        if owner != device.org && org != device.org {
            return Err(HubStoreError::NotChartOwner { doc, org }.into());
        }
        if !checked.unshares.contains(&(doc.clone(), org.clone())) {
            checked.unshares.push((doc, org));
        }
    }
    Ok(checked)
}

/// The circle of a chart the device's organisation may see; `None` for a
/// chart the request's pushes create.
async fn visible_circle<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    doc: &PatientId,
    pushed: &[PatientId],
) -> Result<Option<Vec<OrgId>>, Problem> {
    match hub.store().doc(doc).await? {
        Some(record) if !record.circle.contains(&device.org) => Err(HubStoreError::OutsideCircle {
            doc: doc.clone(),
            org: device.org.clone(),
        }
        .into()),
        Some(record) => Ok(Some(record.circle)),
        None if pushed.contains(doc) => Ok(None),
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "unknown_doc",
            format!(
                "chart {} is not at the hub: push it before sharing it, or in the same request",
                doc.as_str().chars().take(80).collect::<String>()
            ),
        )),
    }
}

/// Applies checked shares, then unshares; sharing a chart twice changes
/// nothing. The shares that wait for the receiving organisation's
/// approval.
pub(super) async fn apply<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    changes: CircleChanges,
    now: Timestamp,
) -> Result<Vec<(PatientId, String)>, Problem> {
    let mut pending = Vec::new();
    for (doc, org) in changes.shares {
        let request = PendingShare {
            doc,
            org,
            from_org: device.org.clone(),
            device: device.id.clone(),
            requested_at: now,
        };
        match hub.store().request_share(&request).await? {
            ShareOutcome::Shared(Some(position)) => tracing::info!(
                device = %device.id,
                doc = %request.doc,
                org = %request.org,
                position,
                "chart shared"
            ),
            ShareOutcome::Shared(None) => {}
            ShareOutcome::Pending => {
                tracing::info!(
                    device = %device.id,
                    doc = %request.doc,
                    org = %request.org,
                    "share waits for the receiving organisation's approval"
                );
                pending.push((request.doc, request.org.0));
            }
        }
    }
    for (doc, org) in changes.unshares {
        if let Some(position) = hub.store().unshare(&doc, &org, now).await? {
            tracing::info!(device = %device.id, doc = %doc, org = %org, position, "chart unshared");
        }
    }
    Ok(pending)
}
