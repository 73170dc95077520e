//! karte-record
