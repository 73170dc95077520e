//! karte-fhir
