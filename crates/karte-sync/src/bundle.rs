//! What a carried bundle's body holds (design note `docs/design/peer-sync.md`
//! §5), and the checks a receiver makes of each chart in it before it takes
//! any: the body's records in the sync wire's own types, so a peer
//! transport carries the same things, and the authentication of one chart's
//! update by the cover rule. Nothing here reads a disk, a clock or the
//! network; the file around the body is `karte_api::bundle_file`.
//!
//! A body is the records below, postcard, deflated (in stored blocks when
//! it is mostly charts sent whole, which are compressed already): the
//! organisation's trust as the sender holds it, one record per chart (sent
//! whole with its authors' tips' signatures, or as changes each with its
//! author's signature), and an `End` with the counts, so a body cut between
//! records does not read as a shorter one.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, Change, ReadDoc};
use karte_types::{DeviceId, PatientId};
use serde::{Deserialize, Serialize};

use crate::auth::parse_pushed_change;
use crate::cover::{Authentication, AuthorKeys, CoverChange, check_covered};
use crate::wire::{
    ChangeSignature, DocUpdate, Payload, TrustUpdate, deflate, from_postcard, inflate, level_for,
    to_postcard,
};
use crate::{AuthError, SyncError, WireError};

/// One record of a bundle's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleRecord {
    /// The organisation's signing key, its newest revocation list and its
    /// members' certs as the sender holds them.
    Trust(TrustUpdate),
    /// One chart: whole with its tips' signatures, or changes with theirs.
    Chart(DocUpdate),
    /// The last record: how many charts and changes came before it.
    End { charts: u32, changes: u64 },
}

/// A body's records, checked to end with an `End` whose counts match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleBody {
    pub trust: Vec<TrustUpdate>,
    pub charts: Vec<DocUpdate>,
    pub changes: u64,
}

/// The body of `records` (which should end with [`BundleRecord::End`]),
/// compressed as a sync response is.
pub fn encode_body(records: &[BundleRecord]) -> Vec<u8> {
    let charts = records.iter().filter_map(|record| match record {
        BundleRecord::Chart(update) => Some(update),
        _ => None,
    });
    deflate(Vec::new(), &to_postcard(&records), level_for(charts))
}

/// Reads a body of at most `limit` bytes inflated. Refused: a body that
/// does not inflate or decode, one without `End` last, and one whose `End`
/// counts differ from its records (`changes_in` counts a chart's changes).
pub fn decode_body(
    body: &[u8],
    limit: usize,
    changes_in: impl Fn(&DocUpdate) -> Result<u64, WireError>,
) -> Result<BundleBody, WireError> {
    let plain = inflate(body, limit)?;
    let records: Vec<BundleRecord> = from_postcard(&plain)?;
    let mut out = BundleBody {
        trust: Vec::new(),
        charts: Vec::new(),
        changes: 0,
    };
    let mut end = None;
    for record in records {
        if end.is_some() {
            return Err(WireError::malformed("records after the bundle's end"));
        }
        match record {
            BundleRecord::Trust(trust) => out.trust.push(trust),
            BundleRecord::Chart(update) => {
                out.changes += changes_in(&update)?;
                out.charts.push(update);
            }
            BundleRecord::End { charts, changes } => end = Some((charts, changes)),
        }
    }
    match end {
        Some((charts, changes))
            if charts as usize == out.charts.len() && changes == out.changes =>
        {
            Ok(out)
        }
        Some((charts, changes)) => Err(WireError::malformed(format!(
            "its end counts {charts} charts and {changes} changes, its records {} and {}",
            out.charts.len(),
            out.changes
        ))),
        None => Err(WireError::malformed("it has no end record")),
    }
}

/// The changes an update carries, in causal order: a chart sent whole
/// loaded (refused if it lacks a change its changes depend on), or the
/// changes one by one, each an uncompressed change chunk.
pub fn update_changes(update: &DocUpdate) -> Result<Vec<Change>, SyncError> {
    match &update.payload {
        Payload::Snapshot(saved) => Ok(load_whole(&update.doc, saved)?.get_changes(&[])),
        Payload::Changes(list) => Ok(list
            .iter()
            .map(|bytes| parse_pushed_change(bytes))
            .collect::<Result<Vec<_>, _>>()?),
    }
}

/// How many changes an update carries, without listing a chart sent whole.
pub fn update_change_count(update: &DocUpdate) -> Result<u64, SyncError> {
    Ok(match &update.payload {
        Payload::Snapshot(saved) => {
            load_whole(&update.doc, saved)?.get_changes_meta(&[]).len() as u64
        }
        Payload::Changes(list) => list.len() as u64,
    })
}

/// The chart `doc` sent whole, loaded; refused if it cannot be read or
/// lacks a change its changes depend on.
pub fn load_whole(doc: &PatientId, saved: &[u8]) -> Result<Automerge, SyncError> {
    let unreadable = |detail: String| AuthError::MalformedChange {
        detail: format!("chart {doc} sent whole cannot be read ({detail})"),
    };
    // Automerge 0.12 panics on some malformed input.
    let loaded = std::panic::catch_unwind(|| Automerge::load(saved))
        .map_err(|_| unreadable("Automerge could not read it".to_owned()))?
        .map_err(|error| unreadable(error.to_string()))?;
    if !loaded.get_missing_deps(&[]).is_empty() {
        return Err(unreadable("it lacks changes its changes depend on".to_owned()).into());
    }
    Ok(loaded)
}

/// Why a chart of a bundle (or of any transport that carries charts with
/// their authors' signatures) is not taken.
#[derive(Debug)]
pub enum UpdateRefusal {
    /// A change depends on `missing`, which is neither held nor carried.
    Gap { missing: [u8; 32] },
    /// The update is unreadable, or a signature is missing or does not hold.
    Refused(SyncError),
}

impl From<SyncError> for UpdateRefusal {
    fn from(error: SyncError) -> UpdateRefusal {
        UpdateRefusal::Refused(error)
    }
}

/// An update whose changes passed the cover rule.
#[derive(Debug)]
pub struct Authenticated {
    /// Every change of the update, in causal order.
    pub changes: Vec<Change>,
    /// The author vouching for each change not held: its own signature's
    /// device, or its covering tip's.
    pub signer: HashMap<[u8; 32], DeviceId>,
}

impl Authenticated {
    /// The changes not held, as the raw bytes `Chart::check_received` and
    /// `Chart::apply` take, in causal order.
    pub fn new_change_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for change in &self.changes {
            if self.signer.contains_key(&change.hash().0) {
                out.extend_from_slice(change.raw_bytes());
            }
        }
        out
    }
}

/// Checks one chart's update as a receiver holding `held` of it: no change
/// depends on one neither held nor in the update, and every change not
/// held is vouched for by a signature of its author (its own, or a
/// descendant's: the cover rule) under the key `keys` names. Says which
/// author vouches for each new change, for the chart checks that follow
/// (`Chart::check_received`, which needs the signer of each change).
pub fn authenticate_update(
    update: &DocUpdate,
    keys: &AuthorKeys,
    held: &dyn Fn(&[u8; 32]) -> bool,
) -> Result<Authenticated, UpdateRefusal> {
    authenticate_changes(update_changes(update)?, &update.signatures, keys, held)
}

/// [`authenticate_update`] of an update's `changes`, listed already, and
/// its `signatures`.
pub fn authenticate_changes(
    changes: Vec<Change>,
    signatures: &[ChangeSignature],
    keys: &AuthorKeys,
    held: &dyn Fn(&[u8; 32]) -> bool,
) -> Result<Authenticated, UpdateRefusal> {
    let carried: HashSet<[u8; 32]> = changes.iter().map(|c| c.hash().0).collect();
    for change in &changes {
        if held(&change.hash().0) {
            continue;
        }
        for dep in change.deps() {
            if !carried.contains(&dep.0) && !held(&dep.0) {
                return Err(UpdateRefusal::Gap { missing: dep.0 });
            }
        }
    }
    let list: Vec<CoverChange<'_>> = changes.iter().map(CoverChange::from).collect();
    let how = check_covered(&list, signatures, keys, held)?;
    let by_hash: HashMap<[u8; 32], &DeviceId> = signatures
        .iter()
        .map(|signature| (signature.hash, &signature.device))
        .collect();
    let mut signer = HashMap::new();
    for (change, how) in changes.iter().zip(how) {
        let hash = change.hash().0;
        let device = match how {
            Authentication::Held => continue,
            Authentication::Signed => by_hash[&hash],
            Authentication::Covered { tip } => by_hash[&tip],
        };
        signer.insert(hash, device.clone());
    }
    Ok(Authenticated { changes, signer })
}

/// The signatures that let a chart of `changes` travel whole (the cover
/// rule): one per tip of each author ([`crate::cover::tips`]), this
/// device's own signed now with `key`, another author's as `kept` gives it.
/// Only authors for whom `needed` holds must have one (those with changes
/// the receiver may lack); `Err` names a needed tip with no signature kept.
pub fn tip_signatures(
    changes: &[Change],
    me: &DeviceId,
    key: &crate::DeviceKey,
    kept: &dyn Fn(&[u8; 32]) -> Option<crate::wire::ChangeSignature>,
    needed: &dyn Fn(&automerge::ActorId) -> bool,
) -> Result<Vec<crate::wire::ChangeSignature>, [u8; 32]> {
    let list: Vec<CoverChange<'_>> = changes.iter().map(CoverChange::from).collect();
    // A list from a chart is in causal order with no change twice.
    let tips = crate::cover::tips(&list).map_err(|_| [0; 32])?;
    let mut out = Vec::with_capacity(tips.len());
    for at in tips {
        let change = &changes[at];
        let hash = change.hash().0;
        if karte_record::actor_is_of_device(change.actor_id(), me) {
            out.push(crate::wire::ChangeSignature {
                hash,
                device: me.clone(),
                signature: crate::sign_change_hash(key, &hash),
            });
        } else if let Some(signature) = kept(&hash) {
            out.push(signature);
        } else if needed(change.actor_id()) {
            return Err(hash);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ChangeSignature;
    use crate::{DeviceKey, sign_change_hash};
    use karte_record::actor_for;
    use karte_types::PatientId;
    use ring::rand::SystemRandom;

    fn history(device: &DeviceId, edits: usize) -> Automerge {
        use automerge::transaction::Transactable;
        let mut doc = Automerge::new().with_actor(actor_for(device, [1; 16]));
        for i in 0..edits {
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "n", i as i64).unwrap();
            tx.commit();
        }
        doc
    }

    fn update(doc: &Automerge, signatures: Vec<ChangeSignature>) -> DocUpdate {
        DocUpdate {
            doc: PatientId("p1".into()),
            payload: Payload::Snapshot(doc.save()),
            signatures,
            digest: None,
        }
    }

    #[test]
    fn a_chart_sent_whole_with_its_tip_signed_authenticates_every_change() {
        let device = DeviceId::from("A");
        let key = DeviceKey::generate(&SystemRandom::new()).unwrap().0;
        let doc = history(&device, 3);
        let tip = doc.get_heads()[0].0;
        let signed = ChangeSignature {
            hash: tip,
            device: device.clone(),
            signature: sign_change_hash(&key, &tip),
        };
        let keys: AuthorKeys = [(device.clone(), key.public_key())].into_iter().collect();
        let done = authenticate_update(&update(&doc, vec![signed.clone()]), &keys, &|_| false)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(done.signer.len(), 3);
        assert!(done.signer.values().all(|d| *d == device));

        // Without the tip's signature nothing is vouched for.
        let refused = authenticate_update(&update(&doc, vec![]), &keys, &|_| false);
        assert!(matches!(refused, Err(UpdateRefusal::Refused(_))));

        // A forged signature is refused.
        let mut forged = signed;
        forged.signature[0] ^= 1;
        let refused = authenticate_update(&update(&doc, vec![forged]), &keys, &|_| false);
        assert!(matches!(refused, Err(UpdateRefusal::Refused(_))));
    }

    #[test]
    fn a_change_whose_dependency_is_neither_held_nor_carried_is_a_gap() {
        let device = DeviceId::from("A");
        let key = DeviceKey::generate(&SystemRandom::new()).unwrap().0;
        let doc = history(&device, 3);
        let changes = doc.get_changes(&[]);
        let last = &changes[2];
        let update = DocUpdate {
            doc: PatientId("p1".into()),
            payload: Payload::Changes(vec![last.raw_bytes().to_vec()]),
            signatures: vec![ChangeSignature {
                hash: last.hash().0,
                device: device.clone(),
                signature: sign_change_hash(&key, &last.hash().0),
            }],
            digest: None,
        };
        let keys: AuthorKeys = [(device, key.public_key())].into_iter().collect();
        let first_held = changes[0].hash().0;
        let refused = authenticate_update(&update, &keys, &|h| *h == first_held);
        assert!(
            matches!(refused, Err(UpdateRefusal::Gap { missing }) if missing == changes[1].hash().0)
        );
        let second = changes[1].hash().0;
        let done = authenticate_update(&update, &keys, &|h| *h == first_held || *h == second);
        assert_eq!(done.map(|d| d.signer.len()).ok(), Some(1));
    }

    #[test]
    fn a_body_reads_back_only_whole() {
        let records = vec![
            BundleRecord::Chart(DocUpdate {
                doc: PatientId("p1".into()),
                payload: Payload::Changes(vec![vec![1, 2, 3]]),
                signatures: vec![],
                digest: None,
            }),
            BundleRecord::End {
                charts: 1,
                changes: 1,
            },
        ];
        let body = encode_body(&records);
        let read = decode_body(&body, 1 << 20, |_| Ok(1)).unwrap();
        assert_eq!(read.charts.len(), 1);
        let wrong = encode_body(&[records[0].clone()]);
        assert!(decode_body(&wrong, 1 << 20, |_| Ok(1)).is_err());
        let miscounted = encode_body(&[
            records[0].clone(),
            BundleRecord::End {
                charts: 2,
                changes: 1,
            },
        ]);
        assert!(decode_body(&miscounted, 1 << 20, |_| Ok(1)).is_err());
    }
}
