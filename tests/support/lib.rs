//! Harnesses for the end-to-end tests: a misbehaving TCP proxy between
//! devices and the hub.

pub mod proxy;
