//! Tests of the application API with a fixed clock and seed, the roles it
//! enforces, and sync with a real hub on 127.0.0.1.

mod app;
mod bundle;
mod casualty;
mod casualty_sync;
mod document;
mod four_devices;
mod hub;
mod identify;
mod lock;
mod nearby;
mod peer;
mod photo_sync;
mod photos;
mod poisoned;
mod received;
mod report;
mod roles;
mod session;
mod support;
mod sync;
mod team;
mod trust;
