//! Integration tests of the sync wire format and its signatures, through the
//! crate's public API only.

mod changes;
mod corrupt;
mod requests;
mod round_trip;
mod size;
mod support;
