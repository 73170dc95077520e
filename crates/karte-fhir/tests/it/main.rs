//! The FHIR export as a receiving system sees it: the JP Core rules a base
//! validator cannot check, a snapshot of a small chart's bundle, and an
//! independent validation against the official FHIR R4 JSON schema.

mod casualty;
mod chart;
mod consultation;
mod document;
mod jp_core;
mod json;
mod paperwork;
mod scales;
mod snapshot;
mod validator;
