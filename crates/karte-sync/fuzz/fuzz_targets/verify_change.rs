//! Any bytes pushed to the hub as an Automerge change are refused cleanly:
//! the hub parses them before it knows whether they are a change at all.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let signed = karte_sync::SignedChange {
        change: data.to_vec(),
        hash: [0; 32],
        signature: vec![0; 64],
        author: None,
    };
    // No change hashes to all zeros, so nothing can pass.
    let result = karte_sync::verify_change(&signed, &"tablet-1".into(), &[0; 32]);
    assert!(result.is_err());
});
