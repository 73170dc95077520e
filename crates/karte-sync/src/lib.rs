//! Sync between devices and the hub: the protocol's messages and their wire
//! format, and the signatures that say which device sent a request and
//! wrote a change.
//!
//! The contract between device and hub lives in [`wire`]. A request travels
//! as an envelope ([`encode_request`]) around a [`SignedRequest`], whose
//! compressed body is a [`SyncRequest`] signed by the device's
//! [`DeviceKey`]; the signature travels in a [`RequestHeader`] in front of
//! the body, so the hub checks it before it reads and inflates the body. Every
//! pushed Automerge change is signed on its own ([`SignedChange`]), because
//! the signature must travel with the change long after the request is gone.
//!
//! Enrolment is JSON ([`enrolment`]), the same types on both sides.
//!
//! The device's session logic lives in [`client`]: it builds requests from
//! a [`client::Replica`], sends them through a [`client::Transport`] and
//! applies the answers page by page.

mod auth;
pub mod bundle;
pub mod client;
pub mod cover;
pub mod enrolment;
pub mod enrolment_code;
mod error;
pub mod pairing;
pub mod peer;
pub mod photo;
pub mod recovery;
mod replay;
pub mod trust;
pub mod unlock_code;
pub mod wall_clock;
pub mod wire;

pub use auth::{
    ChangeInfo, DeviceKey, audit_signing_message, change_signing_message, request_signing_message,
    sign_audit_head, sign_bundle, sign_bundle_header, sign_change, sign_change_hash, sign_request,
    sign_request_body, verify_audit_head, verify_bundle, verify_bundle_header, verify_change,
    verify_change_signature, verify_request, verify_request_header,
};
pub use enrolment::{EnrolmentGrantJson, EnrolmentRequestJson};
pub use error::{AuthError, SyncError, TransportError, WireError};
pub use replay::ReplayGuard;
pub use wire::{
    AuditHeadReport, AuditRecordWire, AuditUpload, ChangeSignature, ChartDigest, DeviceLock,
    DocHeads, DocPush, DocUpdate, HeaderRead, Limits, OLDEST_READ_VERSION, PROTOCOL_VERSION,
    Payload, QuarantineReport, RequestHeader, SignedChange, SignedRequest, SignerKey, SyncRequest,
    SyncResponse, WholeChart, WipeOrder, decode_request, decode_request_within, decode_response,
    decode_response_within, decode_update, encode_request, encode_response, encode_response_as,
    encode_update, inflate_request_body, inflate_request_body_of, read_request_header,
};
