//! Tests of the application API with a fixed clock and seed.

mod session;
mod support;
