//! A pushed change verifies only with its own bytes, signed by the device
//! that pushes it and written under one of that device's actors.

use automerge::ChangeHash;
use karte_sync::{AuthError, SignedChange, sign_change, verify_change, verify_change_signature};
use proptest::prelude::*;

use crate::support::{Device, changes_by};

#[test]
fn a_signed_change_verifies_with_its_hash_actor_and_deps() {
    let a = Device::new("tablet-1");
    let raw = changes_by(&a.id, 2, "36.8");
    let first = sign_change(&a.key, &raw[0]).unwrap();
    let second = sign_change(&a.key, &raw[1]).unwrap();
    let info = verify_change(&second, &a.id, &a.public_key()).unwrap();
    assert_eq!(info.hash, ChangeHash(second.hash));
    assert_eq!(info.deps, vec![ChangeHash(first.hash)]);
    assert!(karte_record::actor_is_of_device(&info.actor, &a.id));
    assert_eq!(info.change.raw_bytes(), &raw[1][..]);
    let carried = second.signature_of(&a.id);
    assert_eq!(carried.device, a.id);
    assert_eq!(verify_change_signature(&carried, &a.public_key()), Ok(()));
}

#[test]
fn a_compressed_change_is_signed_uncompressed_and_refused_compressed() {
    let a = Device::new("tablet-1");
    let raw = changes_by(&a.id, 1, &"経過良好。".repeat(200));
    let mut change = automerge::Change::try_from(&raw[0][..]).unwrap();
    let compressed = change.bytes().to_vec();
    assert!(
        compressed.len() < raw[0].len(),
        "the change is large enough to compress"
    );
    let signed = sign_change(&a.key, &compressed).unwrap();
    assert_eq!(signed.hash, change.hash().0);
    assert_eq!(signed.change, raw[0]);
    assert!(verify_change(&signed, &a.id, &a.public_key()).is_ok());
    // Automerge inflates a compressed change without a limit, so the hub
    // does not read one at all.
    let pushed = SignedChange {
        change: compressed,
        ..signed
    };
    let error = verify_change(&pushed, &a.id, &a.public_key()).unwrap_err();
    assert!(error.to_string().contains("compressed"), "{error}");
}

#[test]
fn a_saved_document_is_not_a_change() {
    let a = Device::new("tablet-1");
    let mut doc = automerge::AutoCommit::new();
    doc.load_incremental(&changes_by(&a.id, 1, "x")[0]).unwrap();
    let error = sign_change(&a.key, &doc.save()).unwrap_err();
    assert_eq!(error.code(), "malformed_change");
}

#[test]
fn a_change_signed_by_one_device_fails_for_another() {
    let a = Device::new("tablet-1");
    let b = Device::new("tablet-2");
    let signed = sign_change(&a.key, &changes_by(&a.id, 1, "x")[0]).unwrap();
    let error = verify_change(&signed, &b.id, &b.public_key()).unwrap_err();
    assert_eq!(error.code(), "forged_change");
    assert_eq!(
        verify_change_signature(&signed.signature_of(&a.id), &b.public_key())
            .unwrap_err()
            .code(),
        "forged_change"
    );
}

#[test]
fn a_change_under_another_devices_actor_fails_even_when_signed() {
    // Device A signs a change written under B's actor: the signature is
    // valid, but A may not write as B.
    let a = Device::new("tablet-1");
    let b = Device::new("tablet-2");
    let signed = sign_change(&a.key, &changes_by(&b.id, 1, "x")[0]).unwrap();
    let error = verify_change(&signed, &a.id, &a.public_key()).unwrap_err();
    assert!(matches!(error, AuthError::ForeignActor { .. }), "{error:?}");
    assert_eq!(error.http_status(), 403);
}

/// A named way of damaging a message.
type Tamper<T> = fn(&mut T);

#[test]
fn a_wrong_hash_or_signature_fails() {
    let a = Device::new("tablet-1");
    let original = sign_change(&a.key, &changes_by(&a.id, 1, "x")[0]).unwrap();
    let tampered: [(&str, Tamper<SignedChange>, &str); 3] = [
        ("hash", |c| c.hash[0] ^= 1, "change_hash_mismatch"),
        ("signature", |c| c.signature[10] ^= 1, "forged_change"),
        (
            "short signature",
            |c| c.signature.truncate(63),
            "forged_change",
        ),
    ];
    for (what, tamper, code) in tampered {
        let mut change = original.clone();
        tamper(&mut change);
        let error = verify_change(&change, &a.id, &a.public_key()).unwrap_err();
        assert_eq!(error.code(), code, "{what}: {error}");
    }
}

#[test]
fn bytes_that_are_no_change_cannot_be_signed() {
    let a = Device::new("tablet-1");
    let error = sign_change(&a.key, b"not a change").unwrap_err();
    assert_eq!(error.code(), "malformed_change");
}

/// Flips each bit of `bytes` in turn and hands the result to `check`.
fn each_bit_flipped(bytes: &[u8], mut check: impl FnMut(usize, Vec<u8>)) {
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.to_vec();
            damaged[at] ^= 1 << bit;
            check(at, damaged);
        }
    }
}

#[test]
fn every_altered_bit_of_a_change_fails_cleanly() {
    // Each flip changes the magic, the checksum (which Automerge does not
    // check on a lone change, but does on load), the hash, or the parse.
    let a = Device::new("tablet-1");
    let original = sign_change(&a.key, &changes_by(&a.id, 1, "36.8")[0]).unwrap();
    each_bit_flipped(&original.change, |at, change| {
        let signed = SignedChange {
            change,
            ..original.clone()
        };
        let error = verify_change(&signed, &a.id, &a.public_key()).unwrap_err();
        assert!(
            matches!(error.code(), "malformed_change" | "change_hash_mismatch"),
            "byte {at}: {error:?}"
        );
    });
}

#[test]
fn a_verified_change_loads_where_it_is_sent() {
    let a = Device::new("tablet-1");
    let mut doc = automerge::AutoCommit::new();
    for raw in changes_by(&a.id, 3, "x") {
        let signed = sign_change(&a.key, &raw).unwrap();
        let info = verify_change(&signed, &a.id, &a.public_key()).unwrap();
        doc.load_incremental(&signed.change).unwrap();
        assert_eq!(doc.get_heads(), vec![info.hash]);
    }
}

#[test]
fn every_corrupt_change_fails_cleanly() {
    // Pushed bytes Automerge once panicked on, or that must be refused for
    // what they are; see tests/corrupt/README.md.
    let a = Device::new("tablet-1");
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corrupt/change");
    let mut count = 0;
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let signed = SignedChange {
            change: std::fs::read(&path).unwrap(),
            hash: [0; 32],
            signature: vec![0; 64],
            author: None,
        };
        let error = verify_change(&signed, &a.id, &a.public_key()).unwrap_err();
        assert_eq!(
            error.code(),
            "malformed_change",
            "{}: {error}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 3, "the folder is there: {count}");
}

proptest! {
    #[test]
    fn random_change_bytes_fail_cleanly(change in prop::collection::vec(any::<u8>(), 0..300)) {
        let a = Device::new("tablet-1");
        let signed = SignedChange { change, hash: [0; 32], signature: vec![0; 64], author: None };
        prop_assert!(verify_change(&signed, &a.id, &a.public_key()).is_err());
    }
}
