//! End-to-end tests across crates.

mod device;
mod faults;
mod hub_process;
mod proxy;
