//! The device's side of sync, independent of how bytes travel: a
//! [`Transport`] carries envelopes to the hub ([`HttpTransport`] over
//! HTTPS), a [`Replica`] is the device's vault and charts, and [`sync`]
//! runs the rounds between them: push what the hub lacks, then apply the
//! answer page by page, each page durable before the next is asked for.

mod http;
mod photos;
mod replica;
mod rounds;
mod summary;
mod transport;
pub(crate) mod verify;

pub use http::HttpTransport;
pub use photos::{NamedPhoto, PhotoOptions, PhotoReplica, sync_photos};
pub use replica::{
    AuditOutgoing, FeedCursor, Outgoing, OutgoingChange, OutgoingChart, OutgoingWhole, PageApplied,
    ReceivedPage, Replica,
};
pub use rounds::{DeviceIdentity, RequestStamps, SyncOptions, WHOLE_CHART_MAX_BYTES, sync};
pub use summary::{QuarantineNote, SyncProgress, SyncSummary, human_bytes};
pub use transport::{EnrolmentGrant, EnrolmentRequest, GrantedTrust, Transport};
pub use verify::RefusedUpdate;
