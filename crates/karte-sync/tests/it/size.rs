//! What steady state costs on the wire: a device with nothing new asks, and
//! the hub has nothing new to say.

use karte_sync::{
    AuditHeadReport, SyncRequest, SyncResponse, encode_request, encode_response, sign_request,
};

use crate::support::{DEVICE_ULID, Device};

#[test]
fn an_empty_steady_state_round_is_well_under_a_kilobyte() {
    let device = Device::new(DEVICE_ULID);
    let request = SyncRequest {
        cursor: 1_234_567,
        resume_after: None,
        max_response_bytes: 4 << 20,
        pushes: vec![],
        audit_head: Some(AuditHeadReport {
            seq: 48_213,
            hash: [0xa7; 32],
        }),
        shares: vec![],
        unshares: vec![],
        quarantined: None,
        audit: None,
        feed_id: None,
        trust: None,
    };
    let signed = sign_request(
        &device.key,
        &device.id,
        1_800_000_000_000,
        [0x5c; 16],
        &request,
    );
    let request_bytes = encode_request(&signed).len();
    let response = SyncResponse {
        cursor: 1_234_567,
        resume_after: None,
        more: false,
        acked: vec![],
        updates: vec![],
        removed: vec![],
        wipe: None,
        signers: vec![],
        shares_pending: vec![],
        audit_held: None,
        device_lock: None,
        feed_id: None,
        trust: None,
    };
    let response_bytes = encode_response(&response).len();
    println!(
        "steady state: request {request_bytes} B, response {response_bytes} B, together {} B",
        request_bytes + response_bytes
    );
    assert!(
        request_bytes + response_bytes < 512,
        "{request_bytes} + {response_bytes}"
    );
}
