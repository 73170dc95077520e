//! karte-api
