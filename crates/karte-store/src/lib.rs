//! karte-store
