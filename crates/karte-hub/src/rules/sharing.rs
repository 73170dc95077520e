//! Consent to sharing: a chart enters another organisation's care circle
//! only under a rule that organisation's administrator set. It accepts
//! shares from a list of organisations at once, and may approve each share
//! from any other; with no rule, a share into it is refused. Sharing within
//! an organisation needs no rule: its devices see the chart already.

use karte_types::{PatientId, Timestamp};

use super::{Result, Rows, circle};
use crate::feed::Positions;
use crate::{HubStoreError, OrgId, PendingShare, ShareOutcome, ShareRules, ShareVerdict};

/// What `org`'s rules make of a share from `from`.
pub(crate) async fn share_verdict(
    rows: &impl Rows,
    org: &OrgId,
    from: &OrgId,
) -> Result<ShareVerdict> {
    Ok(if org == from || rows.accepts_from(org, from).await? {
        ShareVerdict::Accept
    } else if rows.approves_each(org).await? {
        ShareVerdict::Approve
    } else {
        ShareVerdict::Refuse
    })
}

/// A device of `from` asks for `doc` to be shared with `org`, inside the
/// caller's feed-writing transaction: shared at once, kept for approval, or
/// refused (`share_not_accepted`), as `org`'s rules say. The device's
/// organisation must be in the chart's circle.
pub(crate) async fn request_share(
    rows: &impl Rows,
    positions: &mut Positions,
    share: &PendingShare,
) -> Result<ShareOutcome> {
    let (doc, org, from) = (&share.doc, &share.org, &share.from_org);
    if rows.doc_row(doc).await?.is_none() {
        return Err(HubStoreError::UnknownDoc(doc.clone()));
    }
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    if !rows.is_member(doc, from).await? {
        return Err(HubStoreError::OutsideCircle {
            doc: doc.clone(),
            org: from.clone(),
        });
    }
    if rows.is_member(doc, org).await? {
        return Ok(ShareOutcome::Shared(None));
    }
    match share_verdict(rows, org, from).await? {
        ShareVerdict::Accept => {
            let position = circle::share(rows, positions, doc, org, share.requested_at).await?;
            Ok(ShareOutcome::Shared(position))
        }
        ShareVerdict::Approve => {
            rows.insert_pending(share).await?;
            Ok(ShareOutcome::Pending)
        }
        ShareVerdict::Refuse => Err(HubStoreError::ShareNotAccepted {
            doc: doc.clone(),
            org: org.clone(),
            from: from.clone(),
        }),
    }
}

/// The administrator of `org` approves a waiting share, inside the caller's
/// feed-writing transaction: the chart enters `org`'s circle; the feed
/// position of the share event, or `None` if it was in it already.
pub(crate) async fn approve_share(
    rows: &impl Rows,
    positions: &mut Positions,
    doc: &PatientId,
    org: &OrgId,
    now: Timestamp,
) -> Result<Option<u64>> {
    waiting(rows, doc, org).await?;
    rows.delete_pending(doc, org).await?;
    circle::share(rows, positions, doc, org, now).await
}

/// The administrator of `org` rejects a waiting share: it is forgotten.
pub(crate) async fn reject_share(rows: &impl Rows, doc: &PatientId, org: &OrgId) -> Result<()> {
    waiting(rows, doc, org).await?;
    rows.delete_pending(doc, org).await
}

async fn waiting(rows: &impl Rows, doc: &PatientId, org: &OrgId) -> Result<PendingShare> {
    rows.pending_share(doc, org)
        .await?
        .ok_or_else(|| HubStoreError::NoPendingShare {
            doc: doc.clone(),
            org: org.clone(),
        })
}

/// `org` accepts shares from `from` at once from now on.
pub(crate) async fn accept_shares_from(rows: &impl Rows, org: &OrgId, from: &OrgId) -> Result<()> {
    for known in [org, from] {
        if rows.org(known).await?.is_none() {
            return Err(HubStoreError::UnknownOrg(known.clone()));
        }
    }
    rows.insert_accept(org, from).await
}

/// Whether `org` approves each share from organisations it does not
/// accept from (else they are refused).
pub(crate) async fn approve_each_share(rows: &impl Rows, org: &OrgId, on: bool) -> Result<()> {
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    rows.set_approves_each(org, on).await
}

pub(crate) async fn share_rules(rows: &impl Rows, org: &OrgId) -> Result<ShareRules> {
    if rows.org(org).await?.is_none() {
        return Err(HubStoreError::UnknownOrg(org.clone()));
    }
    Ok(ShareRules {
        accept_from: rows.accepted_from(org).await?,
        approve_each: rows.approves_each(org).await?,
    })
}
