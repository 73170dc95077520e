//! The regional hub: the HTTP server devices sync with (`server`), the
//! administrator's actions (`new_org`, `invite_device`), and its storage:
//! organisations, enrolled devices, care circles, and the change feed
//! devices sync from, behind one trait (`HubStore`) with an SQLite backend
//! (embedded, the default) and a PostgreSQL backend (many hub processes
//! sharing one database). What the store decides (who may push to which
//! chart, what a share writes to the feed, when a code still works) is
//! written once in `rules`, over row primitives each backend offers.
//!
//! The server checks everything a device sends (envelope limits, request
//! signature, freshness, every change's hash, signature, actor and
//! dependencies, the care circle) before the store is called; the store
//! stores a push whole or not at all.
//!
//! Chart payloads (changes, snapshots, digests) are sealed at rest under
//! per-organisation data keys wrapped by the hub's master key (`at_rest`);
//! ids, feed positions, sizes and times stay clear for the queries.
//!
//! The store deals in opaque bytes and plain values: it never parses an
//! Automerge change or checks a signature. Nothing here reads a clock but
//! `SystemClock`, which the binary hands in: every time is handed in.
//!
//! **Invariant:** a reader whose cursor has passed feed position N never
//! sees a new entry at or below N. Positions are allocated under the lock
//! that orders commits (SQLite's single writer, a PostgreSQL advisory lock),
//! so commit order is position order.

mod admin;
mod at_rest;
mod clock;
mod columns;
mod config;
mod error;
mod feed;
mod hub;
mod model;
pub mod photos;
mod postgres;
mod rules;
pub mod server;
mod sqlite;
mod store;

pub use admin::{Invitation, invite_device, new_org, new_org_id};
pub use at_rest::{AtRest, MasterKey, MasterKeyFile, MasterKeyFileError, Place};
pub use clock::{Clock, ManualClock, SystemClock};
pub use hub::{GuardConfig, Hub, HubConfig, RateLimit};
pub use karte_sync::enrolment_code::{enrolment_code_hash, new_enrolment_code};
pub use karte_sync::recovery::RecoveryPrivateKey;
pub use server::{HubListener, ServeOptions, TlsFiles, router, serve};

#[cfg(feature = "test-hooks")]
pub use config::FeedDelay;
pub use config::StoreConfig;
pub use error::{AdminError, HubStoreError, ServeError};
pub use model::*;
pub use photos::{FsPhotoStore, PhotoStore};
pub use postgres::PostgresHubStore;
pub use sqlite::{SqliteHubStore, backup_sqlite, restore_sqlite};
pub use store::HubStore;
