//! The enrolment form: what a device needs to join a hub. `karte-types` has no
//! rules for these fields, so the form checks them itself.

use karte_types::{EnrolRequest, ValidationError};

use super::{FieldErrors, by_field};

/// The enrolment form: the hub's address, the one-time code, this device's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrolForm {
    pub hub_url: String,
    pub code: String,
    pub device_name: String,
}

impl EnrolForm {
    pub fn to_request(&self) -> Result<EnrolRequest, FieldErrors> {
        let mut errors = Vec::new();
        let url = self.hub_url.trim();
        if url.is_empty() {
            errors.push(ValidationError::new(
                "hub-url",
                "required",
                "the hub's address is needed",
            ));
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            errors.push(ValidationError::new(
                "hub-url",
                "malformed",
                "write the hub's address with http:// or https://",
            ));
        }
        if self.code.trim().is_empty() {
            errors.push(ValidationError::new(
                "code",
                "required",
                "the enrolment code is needed",
            ));
        }
        if self.device_name.trim().is_empty() {
            errors.push(ValidationError::new(
                "device-name",
                "required",
                "name this device, e.g. tablet-3",
            ));
        }
        if errors.is_empty() {
            Ok(EnrolRequest {
                hub_url: url.trim_end_matches('/').to_owned(),
                code: self.code.trim().to_owned(),
                device_name: self.device_name.trim().to_owned(),
            })
        } else {
            Err(by_field(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_needs_a_web_address_a_code_and_a_device_name() {
        let enrol = EnrolForm {
            hub_url: "hub.example".into(),
            ..Default::default()
        };
        let errors = enrol.to_request().unwrap_err();
        assert_eq!(errors["hub-url"].code, "malformed");
        assert_eq!(errors.len(), 3);
    }
}
