//! The canonical URLs the export speaks: JP Core v1.x profiles, HL7 code
//! systems, LOINC, UCUM, SNOMED CT and the identifier namespaces.

/// JP Core v1.x profiles.
pub const JP_PATIENT: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Patient";
pub const JP_ALLERGY_INTOLERANCE: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_AllergyIntolerance";
pub const JP_CONDITION: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Condition";
pub const JP_MEDICATION_STATEMENT: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_MedicationStatement";
pub const JP_ENCOUNTER: &str = "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Encounter";
pub const JP_OBSERVATION_VITAL_SIGNS: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns";
pub const JP_OBSERVATION_COMMON: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_Common";
pub const JP_DOCUMENT_REFERENCE: &str =
    "http://jpfhir.jp/fhir/core/StructureDefinition/JP_DocumentReference";

/// The base FHIR R4 vital-sign profiles, which fix the LOINC code and the
/// UCUM unit of each measurement.
pub const FHIR_BODY_TEMPERATURE: &str = "http://hl7.org/fhir/StructureDefinition/bodytemp";
pub const FHIR_BLOOD_PRESSURE: &str = "http://hl7.org/fhir/StructureDefinition/bp";
pub const FHIR_HEART_RATE: &str = "http://hl7.org/fhir/StructureDefinition/heartrate";
pub const FHIR_RESPIRATORY_RATE: &str = "http://hl7.org/fhir/StructureDefinition/resprate";
pub const FHIR_OXYGEN_SATURATION: &str = "http://hl7.org/fhir/StructureDefinition/oxygensat";

/// ISO 21090 name representation: IDE (ideographic, kanji) or SYL (syllabic,
/// kana), as JP Core tells the two names of a patient apart.
pub const EN_REPRESENTATION: &str =
    "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";

/// The namespace of Karte's own patient ids (chart ULIDs). JP Core would use
/// `urn:oid:1.2.392.100495.20.3.51.1` followed by the ten-digit medical
/// institution code; a chart does not know that code, so the ids are named by
/// Karte's own URN.
pub const PATIENT_ID_SYSTEM: &str = "urn:karte:patient-id";
/// JP Core's namespace for the business identifiers of resource instances;
/// the value is the entry's ULID, stable across exports.
pub const RESOURCE_INSTANCE_ID_SYSTEM: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier";

pub const ALLERGY_CLINICAL: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
pub const ALLERGY_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
pub const CONDITION_CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
pub const CONDITION_VERIFICATION: &str =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";
pub const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// ICD-10 (2013, as distributed by MHLW), JP Core's code system for diagnoses.
pub const ICD10_JP: &str = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full";
/// JP Core's routes of administration, from HL7 v2 table 0162.
pub const ROUTE_HL70162: &str = "http://jpfhir.jp/fhir/core/CodeSystem/route-codes";
pub const LOINC: &str = "http://loinc.org";
/// 障害高齢者の日常生活自立度 (J1..C2) and 認知症高齢者の日常生活自立度
/// (自立..M) have no code system of their own in LOINC or JP Core; Karte
/// names its codes (`B1`, `IIa`) in these.
pub const KARTE_BEDRIDDEN_GRADE: &str = "urn:karte:code-system:bedridden-grade";
pub const KARTE_DEMENTIA_GRADE: &str = "urn:karte:code-system:dementia-grade";
/// The J-SPEED 2018 tick list (災害診療記録 / J-SPEED), by Karte's item
/// codes (`karte_types::JSPEED_2018`); no LOINC or JP Core code exists.
pub const KARTE_JSPEED_2018: &str = "urn:karte:code-system:jspeed-2018";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const URI: &str = "urn:ietf:rfc:3986";

/// Disaster mode: the number printed on a paper triage tag (タッグNo.).
pub const TRIAGE_TAG_SYSTEM: &str = "urn:karte:triage-tag";
/// Disaster mode: what a triage Observation observes.
pub const TRIAGE_CODE_SYSTEM: &str = "urn:karte:observation";
/// Disaster mode: the four categories (red, yellow, green, black).
pub const TRIAGE_CATEGORY_SYSTEM: &str = "urn:karte:triage-category";

/// HL7's kinds of media (image, video, audio), for a photo's Media.
pub const MEDIA_TYPE: &str = "http://terminology.hl7.org/CodeSystem/media-type";
/// A photo's SHA-256 in lower-case hex, as the chart entry names it.
pub const KARTE_ATTACHMENT_SHA256: &str = "urn:karte:attachment-sha256";
/// The three 指示書 (`instruction`, `special`, `infusion`), by
/// `karte_types::OrderKind`'s codes.
pub const KARTE_ORDER_KIND: &str = "urn:karte:code-system:order-kind";
/// HL7's practitioner roles (`doctor`, `nurse`, …).
pub const PRACTITIONER_ROLE: &str = "http://terminology.hl7.org/CodeSystem/practitioner-role";
