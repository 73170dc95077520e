//! The regional hub's storage: organisations, enrolled devices, care
//! circles, and the change feed devices sync from, behind one trait
//! (`HubStore`) with an SQLite backend (embedded, the default) and a
//! PostgreSQL backend (many hub processes sharing one database).
//!
//! The store deals in opaque bytes and plain values: it never parses an
//! Automerge change or checks a signature. It has no clock: every time is
//! handed in.
//!
//! **Invariant:** a reader whose cursor has passed feed position N never
//! sees a new entry at or below N. Positions are allocated under the lock
//! that orders commits (SQLite's single writer, a PostgreSQL advisory lock),
//! so commit order is position order.

mod columns;
mod config;
mod error;
mod feed;
mod model;
mod postgres;
mod sqlite;
mod store;

#[cfg(feature = "test-hooks")]
pub use config::FeedDelay;
pub use config::StoreConfig;
pub use error::HubStoreError;
pub use model::*;
pub use postgres::PostgresHubStore;
pub use sqlite::SqliteHubStore;
pub use store::HubStore;
