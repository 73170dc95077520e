//! Integration tests of karte-record: one binary, one module per feature.

mod admit;
mod corrupt;
mod documents;
mod identify;
mod incoming;
mod incoming_properties;
mod merge;
mod orders;
mod photos;
mod properties;
mod round_trip;
mod support;
mod sync;
mod triage;
