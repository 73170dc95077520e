//! Any bytes given to the hub as a request decode or fail cleanly, and a
//! request that decodes encodes back to bytes that decode to it again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = karte_sync::decode_request(data) {
        let again = karte_sync::encode_request(&request);
        assert_eq!(karte_sync::decode_request(&again), Ok(request));
    }
});
