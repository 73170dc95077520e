//! End-to-end tests of the `karte` binary, run as a user would run it.

mod bad_input;
mod casualty;
mod crash;
mod disaster;
mod document;
mod drill;
mod paperwork;
mod peer;
mod photo;
mod plaintext;
mod roles;
mod support;
mod sync;
mod team;
mod workflow;
