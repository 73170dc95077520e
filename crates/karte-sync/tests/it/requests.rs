//! A signed request verifies only as it was sent, by the device that sent it.

use karte_sync::{AuthError, SignedRequest, SyncRequest, sign_request, verify_request};
use proptest::prelude::*;

use crate::support::{Device, sync_request};

fn signed(device: &Device, body: &SyncRequest) -> SignedRequest {
    sign_request(&device.key, &device.id, 1_800_000_000_000, [3; 16], body)
}

fn assert_refused(request: &SignedRequest, device: &Device) {
    assert_eq!(
        verify_request(request, &device.public_key()),
        Err(AuthError::BadSignature)
    );
}

/// A named way of damaging a request.
type Tamper = fn(&mut SignedRequest);

#[test]
fn each_signed_field_is_covered() {
    let device = Device::new("tablet-1");
    let body = SyncRequest {
        cursor: 9,
        resume_after: None,
        max_response_bytes: 1 << 20,
        pushes: vec![],
        audit_head: None,
        shares: vec![],
        unshares: vec![],
        quarantined: None,
        audit: None,
        feed_id: None,
        trust: None,
    };
    let original = signed(&device, &body);
    assert_eq!(verify_request(&original, &device.public_key()), Ok(body));

    let tampered: [(&str, Tamper); 5] = [
        ("device", |r| r.device = "tablet-2".into()),
        ("time", |r| r.sent_at_ms += 1),
        ("nonce", |r| r.nonce[15] ^= 1),
        ("body", |r| r.body[0] ^= 1),
        ("signature", |r| r.signature[0] ^= 1),
    ];
    for (field, tamper) in tampered {
        let mut request = original.clone();
        tamper(&mut request);
        assert_ne!(request, original, "{field}");
        assert_refused(&request, &device);
    }
}

#[test]
fn another_devices_key_does_not_verify() {
    let a = Device::new("tablet-1");
    let b = Device::new("tablet-2");
    let request = signed(
        &a,
        &SyncRequest {
            cursor: 0,
            resume_after: None,
            max_response_bytes: 0,
            pushes: vec![],
            audit_head: None,
            shares: vec![],
            unshares: vec![],
            quarantined: None,
            audit: None,
            feed_id: None,
            trust: None,
        },
    );
    assert_refused(&request, &b);
    // Claiming to be B while signing with A's key does not help either.
    let mut claimed = request.clone();
    claimed.device = b.id.clone();
    assert_refused(&claimed, &b);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_flipped_bit_of_body_or_signature_is_refused(
        body in sync_request(),
        in_body in any::<bool>(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let device = Device::new("tablet-1");
        let mut request = signed(&device, &body);
        let bytes = if in_body { &mut request.body } else { &mut request.signature };
        let at = position.index(bytes.len());
        bytes[at] ^= 1 << bit;
        prop_assert_eq!(
            verify_request(&request, &device.public_key()),
            Err(AuthError::BadSignature)
        );
    }
}
