//! Every message survives its envelope, and a signed request its signature.

use karte_sync::{
    decode_request, decode_response, encode_request, encode_response, sign_request, verify_request,
};
use proptest::prelude::*;

use crate::support::{Device, signed_request, sync_request, sync_response};

proptest! {
    #[test]
    fn signed_requests_round_trip(request in signed_request()) {
        prop_assert_eq!(decode_request(&encode_request(&request)), Ok(request));
    }

    #[test]
    fn responses_round_trip(response in sync_response()) {
        prop_assert_eq!(decode_response(&encode_response(&response)), Ok(response));
    }

    #[test]
    fn sync_requests_round_trip_through_signature_and_envelope(
        body in sync_request(),
        sent_at_ms in any::<i64>(),
        nonce in any::<[u8; 16]>(),
    ) {
        let device = Device::new("tablet-1");
        let signed = sign_request(&device.key, &device.id, sent_at_ms, nonce, &body);
        let received = decode_request(&encode_request(&signed)).unwrap();
        prop_assert_eq!(&received, &signed);
        prop_assert_eq!(verify_request(&received, &device.public_key()), Ok(body));
    }
}
