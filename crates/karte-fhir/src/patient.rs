//! JP_Patient: the kanji name and the kana reading as two HumanNames told
//! apart by their ISO 21090 representation (IDE, SYL), the chart id as
//! identifier, and the home address with its prefecture.

use karte_types::{ChartView, Sex};
use serde_json::{Value, json};

use crate::datatypes::{Entry, meta};
use crate::systems::{EN_REPRESENTATION, JP_PATIENT, PATIENT_ID_SYSTEM};

pub fn patient(chart: &ChartView) -> Entry {
    let p = &chart.patient;
    let id = crate::patient_resource_id(&chart.id);
    let mut resource = json!({
        "resourceType": "Patient",
        "id": id,
        "meta": meta(&[JP_PATIENT]),
        "identifier": [{ "use": "usual", "system": PATIENT_ID_SYSTEM, "value": chart.id.as_str() }],
        "name": [
            name("IDE", &p.family, &p.given),
            name("SYL", &p.family_kana, &p.given_kana),
        ],
        "gender": gender(p.sex),
        "birthDate": p.birth.to_string(),
    });
    if let Some(phone) = &p.phone {
        resource["telecom"] = json!([{
            "system": "phone",
            "value": phone,
            "use": if is_mobile(phone) { "mobile" } else { "home" },
        }]);
    }
    if let Some(address) = &p.address {
        let mut home = json!({ "use": "home", "text": address, "country": "JP" });
        if let Some(state) = prefecture(address) {
            home["state"] = json!(state);
        }
        resource["address"] = json!([home]);
    }
    Entry { id, resource }
}

fn name(representation: &str, family: &str, given: &str) -> Value {
    json!({
        "extension": [{ "url": EN_REPRESENTATION, "valueCode": representation }],
        "use": "official",
        "text": format!("{family} {given}"),
        "family": family,
        "given": [given],
    })
}

fn gender(sex: Sex) -> &'static str {
    // Karte's sex codes are FHIR's administrative genders.
    sex.code()
}

/// Japanese mobile numbers begin 070, 080 or 090.
fn is_mobile(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    ["070", "080", "090"].iter().any(|p| digits.starts_with(p))
}

/// The prefecture an address starts with (JP Core's `address.state`). Only
/// four prefectures end otherwise than in 県, and every 県 is named in three
/// or four characters (三重県, 神奈川県).
fn prefecture(address: &str) -> Option<&str> {
    let address = address.trim_start();
    for special in ["東京都", "北海道", "京都府", "大阪府"] {
        if address.starts_with(special) {
            return Some(&address[..special.len()]);
        }
    }
    let end = address
        .char_indices()
        .take(4)
        .skip(2)
        .find(|(_, c)| *c == '県')
        .map(|(i, c)| i + c.len_utf8())?;
    Some(&address[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefectures_are_found_at_the_start_of_an_address() {
        assert_eq!(prefecture("東京都世田谷区上馬3-12-5"), Some("東京都"));
        assert_eq!(prefecture("京都府京都市左京区北白川1-2-3"), Some("京都府"));
        assert_eq!(
            prefecture("神奈川県横浜市港北区日吉本町1-1"),
            Some("神奈川県")
        );
        assert_eq!(prefecture("鹿児島県鹿児島市伊敷1-2-3"), Some("鹿児島県"));
        assert_eq!(prefecture("北海道旭川市豊岡1-1"), Some("北海道"));
        assert_eq!(prefecture("世田谷区上馬3-12-5"), None);
        assert_eq!(prefecture("三重県津市1-1"), Some("三重県"));
        assert_eq!(prefecture("県営住宅3号棟"), None);
    }

    #[test]
    fn mobiles_are_told_from_landlines() {
        assert!(is_mobile("090-1234-5678"));
        assert!(!is_mobile("03-1234-5678"));
        assert!(!is_mobile("0263-12-3456"));
    }
}
