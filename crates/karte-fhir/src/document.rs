//! Documents saved in a chart (報告書, 計画書, 記録書Ⅰ/Ⅱ): each as a
//! Composition of its structured parts (one section per heading of the
//! form, its text as written) and a DocumentReference whose content is the
//! document as plain text and the Composition's `urn:uuid` in the bundle.
//! An approved document is `final`, with its approver as the Composition's legal
//! attester and the DocumentReference's authenticator; an unapproved one is
//! `preliminary`; one marked in error is `entered-in-error`.

use karte_types::{DocumentDraft, DocumentEntry, DocumentKind};
use serde_json::{Value, json};

use crate::base64;
use crate::datatypes::{Entry, instance_identifier, meta, named};
use crate::ids::resource_id;
use crate::systems::{JP_DOCUMENT_REFERENCE, LOINC, RESOURCE_INSTANCE_ID_SYSTEM};

/// The LOINC document type: a plan of care note for the 計画書, a nurse
/// note for the others.
fn loinc(kind: DocumentKind) -> (&'static str, &'static str) {
    match kind {
        DocumentKind::Plan => ("18776-5", "Plan of care note"),
        _ => ("34746-8", "Nurse Note"),
    }
}

/// The document's parts as XHTML-safe text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A section's narrative: the text, line breaks kept.
fn narrative(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(escape).collect();
    format!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{}</p></div>",
        lines.join("<br/>")
    )
}

/// The Composition and DocumentReference of each document of a chart.
pub fn documents(documents: &[DocumentEntry], patient: &Value) -> Vec<Entry> {
    let mut entries = Vec::new();
    for document in documents {
        let Ok(draft) = document.input.draft() else {
            // A chart's checks admit only drafts that read; nothing to show.
            continue;
        };
        entries.extend(document_entries(document, &draft, patient));
    }
    entries
}

fn document_entries(
    document: &DocumentEntry,
    draft: &DocumentDraft,
    patient: &Value,
) -> [Entry; 2] {
    let input = &document.input;
    let entry_id = document.meta.id.as_str();
    let composition_id = resource_id("composition", entry_id);
    let reference_id = resource_id("document", entry_id);
    let (code, display) = loinc(input.kind);
    let kind_ja = input.kind.label_ja();
    let title = format!("{kind_ja} {}", input.detail);
    let doc_type = json!({
        "coding": [{ "system": LOINC, "code": code, "display": display }],
        "text": kind_ja,
    });
    let voided = document.meta.entered_in_error.is_some();
    let approval = input
        .approved_by_name
        .as_ref()
        .zip(input.approved_at)
        .map(|(name, at)| (name.clone(), at.to_rfc3339()));
    let saved_at = document.meta.recorded_at.to_rfc3339();
    let author = named(&document.meta.recorded_by.user_name);
    let sections: Vec<(&str, String)> = draft
        .sections()
        .into_iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .collect();

    let mut composition = json!({
        "resourceType": "Composition",
        "id": composition_id,
        "identifier": { "system": RESOURCE_INSTANCE_ID_SYSTEM, "value": format!("{entry_id}/composition") },
        "status": if voided { "entered-in-error" } else if approval.is_some() { "final" } else { "preliminary" },
        "type": doc_type,
        "subject": patient,
        "date": approval.as_ref().map(|(_, at)| at.clone()).unwrap_or_else(|| saved_at.clone()),
        "author": [author],
        "title": title,
        "section": sections.iter().map(|(heading, text)| json!({
            "title": heading,
            "text": { "status": "generated", "div": narrative(text) },
        })).collect::<Vec<_>>(),
    });
    if let Some((name, at)) = &approval {
        composition["attester"] = json!([{ "mode": "legal", "time": at, "party": named(name) }]);
    }
    if sections.is_empty() {
        composition
            .as_object_mut()
            .expect("an object")
            .remove("section");
    }

    let text = sections
        .iter()
        .map(|(heading, text)| format!("【{heading}】\n{text}"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut reference = json!({
        "resourceType": "DocumentReference",
        "id": reference_id,
        "meta": meta(&[JP_DOCUMENT_REFERENCE]),
        "identifier": instance_identifier(entry_id),
        "status": if voided { "entered-in-error" } else { "current" },
        "docStatus": if approval.is_some() { "final" } else { "preliminary" },
        "type": doc_type,
        "subject": patient,
        "date": saved_at,
        "author": [author],
        "description": title,
        "content": [
            { "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "ja",
                "data": base64::encode(format!("{title}\n\n{text}").as_bytes()),
                "title": title,
            } },
            { "attachment": {
                "contentType": "application/fhir+json",
                "url": format!("urn:uuid:{composition_id}"),
                "title": format!("{title}（構造化）"),
            } },
        ],
    });
    if let Some((name, _)) = &approval {
        reference["authenticator"] = named(name);
    }
    [
        Entry {
            id: composition_id.clone(),
            resource: composition,
        },
        Entry {
            id: reference_id,
            resource: reference,
        },
    ]
}
