//! Any bytes given to a device as a response decode or fail cleanly, and a
//! response that decodes encodes back to bytes that decode to it again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = karte_sync::decode_response(data) {
        let again = karte_sync::encode_response(&response);
        assert_eq!(karte_sync::decode_response(&again), Ok(response));
    }
});
