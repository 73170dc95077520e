//! Checking what the hub sends before any of it is applied: every change
//! of a `Changes` payload must carry a signature by a device whose key the
//! hub named, over that change's hash, and must have been written under an
//! actor of that device. An update that fails is set aside with the
//! reason, and the device quarantines its chart: one bad chart must not
//! hold back the rest of the page.
//!
//! A chart sent whole (`Snapshot`) carries no signature per change: the hub
//! checked each change when it was pushed, and the signatures of a long
//! history would outweigh the chart several times over. Any signature sent
//! with it is still checked.

use std::collections::HashMap;

use karte_record::actor_is_of_device;
use karte_types::DeviceId;

use crate::auth::parse_pushed_change;
use crate::wire::{ChangeSignature, DocUpdate, Payload, SignerKey};
use crate::{AuthError, SyncError, verify_change_signature};

/// An update that did not pass the checks, and why.
#[derive(Debug)]
pub struct RefusedUpdate {
    pub update: DocUpdate,
    pub error: SyncError,
}

/// Checks every update of a page against the signers' keys: returns those
/// that pass, in order, and those that do not.
pub(crate) fn verify_updates(
    updates: Vec<DocUpdate>,
    signers: &[SignerKey],
) -> (Vec<DocUpdate>, Vec<RefusedUpdate>) {
    let keys: HashMap<&DeviceId, &[u8; 32]> = signers
        .iter()
        .map(|signer| (&signer.device, &signer.public_key))
        .collect();
    let (mut passed, mut refused) = (Vec::with_capacity(updates.len()), Vec::new());
    for update in updates {
        match verify_update(&update, &keys) {
            Ok(()) => passed.push(update),
            Err(error) => refused.push(RefusedUpdate { update, error }),
        }
    }
    (passed, refused)
}

fn verify_update(
    update: &DocUpdate,
    keys: &HashMap<&DeviceId, &[u8; 32]>,
) -> Result<(), SyncError> {
    {
        let mut by_hash: HashMap<[u8; 32], &ChangeSignature> = HashMap::new();
        for signature in &update.signatures {
            let key = keys
                .get(&signature.device)
                .ok_or_else(|| SyncError::UnknownSigner {
                    device: signature.device.clone(),
                })?;
            verify_change_signature(signature, key)?;
            by_hash.insert(signature.hash, signature);
        }
        if let Payload::Changes(changes) = &update.payload {
            for bytes in changes {
                let change = parse_pushed_change(bytes)?;
                let hash = change.hash().0;
                let signature = by_hash
                    .get(&hash)
                    .ok_or_else(|| SyncError::UnsignedChange {
                        doc: update.doc.clone(),
                        hash: hex::encode(hash),
                    })?;
                if !actor_is_of_device(change.actor_id(), &signature.device) {
                    return Err(AuthError::ForeignActor {
                        hash: hex::encode(hash),
                    }
                    .into());
                }
            }
        }
    }
    Ok(())
}
