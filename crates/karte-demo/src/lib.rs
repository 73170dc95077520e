//! karte-demo
