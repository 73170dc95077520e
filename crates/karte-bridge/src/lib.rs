//! The local HTTP bridge: the application API of [`karte_api::Session`] as
//! JSON over loopback HTTP, for the web UI when it runs in a browser instead
//! of the Tauri shell.
//!
//! Every `/api/v1/…` request carries a bearer token made at start; requests
//! whose `Host` or `Origin` is not the loopback address are refused, so a web
//! page that rebinds its own name to 127.0.0.1 cannot reach the vault.

mod error;
mod guard;
mod problem;
mod routes;
mod serve;
mod state;
mod token;

pub use error::BridgeError;
pub use problem::Problem;
pub use routes::router;
pub use serve::{bind, serve};
pub use state::Bridge;
pub use token::Token;
