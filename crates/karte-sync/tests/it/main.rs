//! Integration tests of the sync wire format and its signatures, through the
//! crate's public API only.

mod changes;
mod client;
mod corrupt;
mod mini_hub;
mod requests;
mod round_trip;
mod size;
mod support;
