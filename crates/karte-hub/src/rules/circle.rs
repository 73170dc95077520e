//! A chart's care circle and its cache: sharing with an organisation and
//! unsharing (each an event in the feed), the chart as the hub knows it, and
//! caching a snapshot of it.

use karte_types::{PatientId, Timestamp};

use super::{Result, Rows};
use crate::feed::Positions;
use crate::{CircleEvent, DocRecord, HubStoreError, OrgId};

/// Shares `doc` with `org` inside the caller's feed-writing transaction;
/// the feed position of the share event, or `None` if it was shared already.
pub(crate) async fn share(
    rows: &impl Rows,
    positions: &mut Positions,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>> {
    owner_of(rows, doc).await?;
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    if !rows.add_member(doc, org).await? {
        return Ok(None);
    }
    let position = positions.take();
    rows.insert_circle_event(position, doc, org, CircleEvent::Shared, now)
        .await?;
    Ok(Some(position))
}

/// Stops sharing `doc` with `org` inside the caller's feed-writing
/// transaction; the feed position of the unshare event, or `None` if it was
/// not shared. A share of it with `org` waiting for approval is forgotten.
/// The owner cannot leave its own chart's circle.
pub(crate) async fn unshare(
    rows: &impl Rows,
    positions: &mut Positions,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>> {
    if owner_of(rows, doc).await? == *org {
        return Err(HubStoreError::OwnerCannotLeave {
            doc: doc.clone(),
            org: org.clone(),
        });
    }
    rows.delete_pending(doc, org).await?;
    if !rows.remove_member(doc, org).await? {
        return Ok(None);
    }
    let position = positions.take();
    rows.insert_circle_event(position, doc, org, CircleEvent::Unshared, now)
        .await?;
    Ok(Some(position))
}

async fn owner_of(rows: &impl Rows, doc: &PatientId) -> Result<OrgId> {
    let (owner, _) = rows
        .doc_row(doc)
        .await?
        .ok_or_else(|| HubStoreError::UnknownDoc(doc.clone()))?;
    Ok(owner)
}

/// The chart as the hub knows it, read in one transaction so its owner and
/// circle agree.
pub(crate) async fn doc(rows: &impl Rows, doc: &PatientId) -> Result<Option<DocRecord>> {
    let Some((owner, created_at)) = rows.doc_row(doc).await? else {
        return Ok(None);
    };
    Ok(Some(DocRecord {
        id: doc.clone(),
        owner,
        circle: rows.circle(doc).await?,
        created_at,
    }))
}
