//! Tests of the application API with a fixed clock and seed, and of sync
//! with a real hub on 127.0.0.1.

mod app;
mod hub;
mod received;
mod session;
mod support;
mod sync;
