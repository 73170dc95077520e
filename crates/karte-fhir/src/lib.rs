//! FHIR R4 export of charts, following the JP Core v1.x profiles: JP_Patient,
//! JP_AllergyIntolerance, JP_Condition, JP_MedicationStatement, JP_Encounter
//! (one per home visit), JP_Observation_VitalSigns (one per measured sign)
//! and, for the SOAP note of a visit, a DocumentReference linked to the
//! visit's encounter; scales recorded at visits (Barthel Index, DESIGN-R
//! 2020, 日常生活自立度) as JP_Observation_Common. In disaster mode, a
//! casualty's tag number is an identifier of the Patient (whose unknown
//! name and birth date carry a data-absent-reason) and each triage an
//! Observation; a consultation is a visit, so its Encounter, with its
//! J-SPEED sheet an Observation of the encounter; the daily report's
//! counts are MeasureReports (`daily_report_bundle`). Documents saved in
//! the chart (報告書, 計画書, 記録書) are each a Composition of their parts
//! and a DocumentReference to it, final once approved. A 指示書 is a
//! ServiceRequest with its doctor a PractitionerRole; a wound photo is a
//! Media, which the DESIGN-R Observation made with it is derived from.
//!
//! The export is a pure function of the charts and the time handed in:
//! resource ids are derived from the entries' ULIDs, never drawn at random,
//! so exporting the same chart twice gives the same bundle. Nothing is left
//! out: entries recorded in error are exported with the entered-in-error
//! status, as FHIR expects, rather than dropped.

mod allergy;
mod base64;
mod condition;
mod datatypes;
mod document;
mod encounter;
mod ids;
mod measure;
mod medication;
mod note;
mod order;
mod patient;
mod photo;
mod scales;
pub mod systems;
mod triage;
mod vitals;

pub use measure::{JSPEED_DAILY_MEASURE, daily_report_bundle};

use karte_types::{ChartView, PatientId, Photo, Timestamp};
use serde_json::{Value, json};

use crate::datatypes::{Entry, reference};

/// The id of a patient's Patient resource in every export, so a FHIR read
/// API can serve `Patient/{id}` for a chart.
pub fn patient_resource_id(patient: &PatientId) -> String {
    ids::resource_id("patient", patient.as_str())
}

/// A Bundle of type `collection` holding every resource of `charts`.
///
/// `generated_at` becomes the bundle's timestamp and decides whether a
/// prescription that has ended is `completed`; `bundle_id` becomes its id.
pub fn bundle(charts: &[ChartView], generated_at: Timestamp, bundle_id: &str) -> Value {
    let mut entries = Vec::new();
    for chart in charts {
        chart_entries(chart, &[], generated_at, &mut entries);
    }
    collection(entries, generated_at, bundle_id)
}

/// The patient first, then allergies, conditions, medications and visits
/// (each visit's encounter followed by what belongs to it), in chart order.
/// Writes a Bundle like [`bundle`]'s, compact, one chart at a time, so that
/// exporting a whole vault holds one chart in memory rather than the bundle.
#[derive(Debug)]
pub struct BundleWriter<W: std::io::Write> {
    out: W,
    generated_at: Timestamp,
    entries: usize,
}

impl<W: std::io::Write> BundleWriter<W> {
    /// Writes the Bundle's opening: everything up to its first entry.
    pub fn start(mut out: W, generated_at: Timestamp, bundle_id: &str) -> std::io::Result<Self> {
        let header = json!({
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": { "lastUpdated": generated_at.to_rfc3339() },
            "type": "collection",
            "timestamp": generated_at.to_rfc3339(),
        });
        let header = serde_json::to_string(&header)?;
        // An object serialises with its closing brace last; the entries go
        // before it.
        out.write_all(&header.as_bytes()[..header.len() - 1])?;
        out.write_all(b",\"entry\":[")?;
        Ok(BundleWriter {
            out,
            generated_at,
            entries: 0,
        })
    }

    /// Writes every resource of one chart, without its photos.
    pub fn add_chart(&mut self, chart: &ChartView) -> std::io::Result<()> {
        self.add_chart_with_photos(chart, &[])
    }

    /// Writes every resource of one chart and its photo entries (which the
    /// chart's view does not carry: `Chart::photos`).
    pub fn add_chart_with_photos(
        &mut self,
        chart: &ChartView,
        photos: &[Photo],
    ) -> std::io::Result<()> {
        let mut entries = Vec::new();
        chart_entries(chart, photos, self.generated_at, &mut entries);
        for entry in entries {
            if self.entries > 0 {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, &entry.into_json())?;
            self.entries += 1;
        }
        Ok(())
    }

    /// Closes the Bundle and hands the writer back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"]}")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A Bundle like [`bundle`]'s, each chart with its photo entries.
pub fn bundle_with_photos(
    charts: &[(ChartView, Vec<Photo>)],
    generated_at: Timestamp,
    bundle_id: &str,
) -> Value {
    let mut entries = Vec::new();
    for (chart, photos) in charts {
        chart_entries(chart, photos, generated_at, &mut entries);
    }
    collection(entries, generated_at, bundle_id)
}

fn collection(entries: Vec<Entry>, generated_at: Timestamp, bundle_id: &str) -> Value {
    json!({
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": { "lastUpdated": generated_at.to_rfc3339() },
        "type": "collection",
        "timestamp": generated_at.to_rfc3339(),
        "entry": entries.into_iter().map(Entry::into_json).collect::<Vec<_>>(),
    })
}

fn chart_entries(
    chart: &ChartView,
    photos: &[Photo],
    generated_at: Timestamp,
    entries: &mut Vec<Entry>,
) {
    let mut patient = patient::patient(chart);
    triage::casualty_patient(chart, &mut patient.resource);
    let subject = reference(&patient.id);
    entries.push(patient);
    entries.extend(allergy::no_known_allergies(chart, &subject));
    entries.extend(
        chart
            .allergies
            .iter()
            .map(|a| allergy::allergy(a, &subject)),
    );
    entries.extend(
        chart
            .conditions
            .iter()
            .map(|c| condition::condition(c, &subject)),
    );
    entries.extend(
        chart
            .medications
            .iter()
            .map(|m| medication::medication(m, &subject, generated_at)),
    );
    entries.extend(order::service_requests(
        &chart.orders,
        &subject,
        generated_at,
    ));
    for visit in &chart.visits {
        entries.extend(encounter::visit(visit, &subject));
    }
    let visit_ids: Vec<&str> = chart.visits.iter().map(|v| v.meta.id.as_str()).collect();
    entries.extend(scales::observations(
        &chart.assessments,
        &subject,
        &visit_ids,
        photos,
    ));
    entries.extend(photo::media(
        photos,
        &chart.assessments,
        &subject,
        &visit_ids,
    ));
    entries.extend(triage::triages(chart, &subject));
    entries.extend(document::documents(&chart.documents, &subject));
}
