//! The cover rule: which changes of a chart one signature vouches for.
//!
//! A device signs the hash of a change, and a change's hash fixes every
//! change before it (its dependencies, theirs, and so on). So a signature
//! by device `d` over change `t` vouches for every change *of `d`* that `t`
//! descends from: only `d`'s vault writes under `d`'s actors, and the
//! ancestry `t` names cannot be changed without changing `t`'s hash. A
//! change written under an actor of `d` is therefore authenticated when
//! some change of `d` carrying a valid signature of `d` is that change or a
//! descendant of it. A signature per change, as changes are pushed one by
//! one, is the case where the two are the same change; a chart sent whole
//! carries only its *tips*: per author, its changes that are no ancestor of
//! another change of the same author (one per author, usually; two after a
//! vault restore split its history).
//!
//! Nothing here reads a clock, a disk or the network. The walk is one pass
//! over the changes in reverse causal order, carrying for each change which
//! signed authors have a descendant of it, a small array per change (one
//! slot per author with a tip): linear in the chart's changes for the few
//! authors a chart has.

use std::collections::HashMap;

use automerge::{ActorId, ChangeHash};
use karte_record::{actor_is_of_device, device_prefix};
use karte_types::DeviceId;

use crate::wire::ChangeSignature;
use crate::{AuthError, SyncError, WireError, verify_change_signature};

/// One change of a chart, as the cover rule sees it: its hash, the actor it
/// was written under and the hashes of the changes it depends on.
#[derive(Debug, Clone, Copy)]
pub struct CoverChange<'a> {
    pub hash: [u8; 32],
    pub actor: &'a ActorId,
    pub deps: &'a [ChangeHash],
}

impl<'a> From<&'a automerge::Change> for CoverChange<'a> {
    fn from(change: &'a automerge::Change) -> CoverChange<'a> {
        CoverChange {
            hash: change.hash().0,
            actor: change.actor_id(),
            deps: change.deps(),
        }
    }
}

/// How one change is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// Held and verified already: nothing to check.
    Held,
    /// It carries its author's signature itself.
    Signed,
    /// A signed change of the same author descends from it: `tip`.
    Covered { tip: [u8; 32] },
}

/// The signing keys of the authors a check may meet.
pub type AuthorKeys = HashMap<DeviceId, [u8; 32]>;

/// Checks that every change of `changes` not `held` already is covered by
/// one of `signatures` (see the module's documentation), and says for each
/// change, in order, how. `changes` must be in causal order (a change after
/// every change of the list it depends on), as Automerge gives them.
///
/// Refused: a signature that does not hold under its device's key
/// (`forged_change`), by a device not in `keys` (`unknown_signer`), over a
/// change written under another device's actor (`foreign_actor`), or over a
/// change that is neither in `changes` nor held (`malformed_change`); and a
/// change no signature of its author covers (`unsigned_change`).
pub fn check_covered(
    changes: &[CoverChange<'_>],
    signatures: &[ChangeSignature],
    keys: &AuthorKeys,
    held: &dyn Fn(&[u8; 32]) -> bool,
) -> Result<Vec<Authentication>, SyncError> {
    let index = causal_index(changes)?;
    // The signed changes, each verified, and one slot per signing author.
    let mut slots: Vec<&DeviceId> = Vec::new();
    let mut signed: Vec<Option<usize>> = vec![None; changes.len()];
    for signature in signatures {
        let key = keys
            .get(&signature.device)
            .ok_or_else(|| SyncError::UnknownSigner {
                device: signature.device.clone(),
            })?;
        verify_change_signature(signature, key)?;
        let Some(&at) = index.get(&signature.hash) else {
            if held(&signature.hash) {
                continue;
            }
            return Err(AuthError::MalformedChange {
                detail: format!(
                    "a signature names change {}, which the chart does not contain",
                    hex::encode(signature.hash)
                ),
            }
            .into());
        };
        if !actor_is_of_device(changes[at].actor, &signature.device) {
            return Err(AuthError::ForeignActor {
                hash: hex::encode(signature.hash),
            }
            .into());
        }
        let slot = match slots.iter().position(|d| *d == &signature.device) {
            Some(slot) => slot,
            None => {
                slots.push(&signature.device);
                slots.len() - 1
            }
        };
        signed[at] = Some(slot);
    }
    // The slot of each change's author, if that author signed anything.
    let mut actor_slots: HashMap<&ActorId, Option<usize>> = HashMap::new();
    let author_slot = |actor: &ActorId| {
        slots
            .iter()
            .position(|device| actor_is_of_device(actor, device))
    };
    let width = slots.len();
    // `cover[i * width + s]`: a change signed by author `s` that is change
    // `i` or descends from it, as its index.
    let mut cover: Vec<u32> = vec![NONE; changes.len() * width];
    let mut out = vec![Authentication::Held; changes.len()];
    for i in (0..changes.len()).rev() {
        let change = &changes[i];
        if let Some(slot) = signed[i] {
            cover[i * width + slot] = i as u32;
        }
        let own = *actor_slots
            .entry(change.actor)
            .or_insert_with(|| author_slot(change.actor));
        out[i] = if held(&change.hash) {
            Authentication::Held
        } else if signed[i].is_some() {
            Authentication::Signed
        } else {
            match own.map(|slot| cover[i * width + slot]) {
                Some(tip) if tip != NONE => Authentication::Covered {
                    tip: changes[tip as usize].hash,
                },
                _ => {
                    return Err(AuthError::UncoveredChange {
                        hash: hex::encode(change.hash),
                    }
                    .into());
                }
            }
        };
        // Every dependency in the list gains what covers this change.
        for dep in change.deps {
            let Some(&parent) = index.get(&dep.0) else {
                continue;
            };
            for slot in 0..width {
                let from = cover[i * width + slot];
                let to = &mut cover[parent * width + slot];
                if *to == NONE {
                    *to = from;
                }
            }
        }
    }
    Ok(out)
}

/// The changes among `changes` that are a tip of their author: no other
/// change of the same author (the same device, by its actors' device
/// prefix) descends from them. Their indices, in order.
pub fn tips(changes: &[CoverChange<'_>]) -> Result<Vec<usize>, SyncError> {
    let index = causal_index(changes)?;
    let mut authors: HashMap<&[u8], usize> = HashMap::new();
    let slot_of: Vec<usize> = changes
        .iter()
        .map(|change| {
            let next = authors.len();
            *authors.entry(device_prefix(change.actor)).or_insert(next)
        })
        .collect();
    let words = authors.len().div_ceil(64);
    // `below[i]`: the authors with a change that is `i` or descends from it.
    let mut below: Vec<u64> = vec![0; changes.len() * words];
    let mut out = Vec::new();
    for i in (0..changes.len()).rev() {
        let (word, bit) = (slot_of[i] / 64, 1u64 << (slot_of[i] % 64));
        if below[i * words + word] & bit == 0 {
            out.push(i);
        }
        below[i * words + word] |= bit;
        for dep in changes[i].deps {
            let Some(&parent) = index.get(&dep.0) else {
                continue;
            };
            for w in 0..words {
                below[parent * words + w] |= below[i * words + w];
            }
        }
    }
    out.reverse();
    Ok(out)
}

const NONE: u32 = u32::MAX;

/// Each change's position by hash, after checking that the list has no
/// change twice and no change before one it depends on.
fn causal_index(changes: &[CoverChange<'_>]) -> Result<HashMap<[u8; 32], usize>, SyncError> {
    if changes.len() >= NONE as usize {
        return Err(WireError::TooLarge {
            detail: format!("a chart of {} changes", changes.len()),
        }
        .into());
    }
    let mut index = HashMap::with_capacity(changes.len());
    for (i, change) in changes.iter().enumerate() {
        if index.insert(change.hash, i).is_some() {
            return Err(not_causal(format!(
                "change {} is listed twice",
                hex::encode(change.hash)
            )));
        }
    }
    for (i, change) in changes.iter().enumerate() {
        for dep in change.deps {
            if index.get(&dep.0).is_some_and(|&at| at >= i) {
                return Err(not_causal(format!(
                    "change {} comes before its dependency {dep}",
                    hex::encode(change.hash)
                )));
            }
        }
    }
    Ok(index)
}

fn not_causal(detail: String) -> SyncError {
    AuthError::MalformedChange { detail }.into()
}

#[cfg(test)]
mod tests;
