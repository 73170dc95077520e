//! End-to-end tests across crates. The PostgreSQL tests start a throwaway
//! server themselves (see `postgres`).

mod device;
mod faults;
mod hub_process;
mod lan;
mod many_hubs;
mod netns;
mod peer_resume;
#[path = "../../crates/karte-hub/tests/it/postgres.rs"]
mod postgres;
mod proxy;
mod three_devices;
