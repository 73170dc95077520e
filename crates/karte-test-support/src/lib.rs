//! karte-test-support
