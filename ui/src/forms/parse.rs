//! How the text typed in one field becomes a value: trimmed text, numbers
//! (full-width digits too), dates and coded values. Each helper collects its
//! field's error instead of stopping, so a form reports every field at once.

use karte_types::{Date, ValidationError, parse_number};

/// The trimmed text, or `None` for a field left empty (or only spaces), so
/// an optional field the user skipped is absent rather than blank.
pub(super) fn text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Full-width digits, point and slash from a Japanese keyboard, as ASCII.
pub(super) fn fold_digits(value: &str) -> String {
    value
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '／' => '/',
            _ => c,
        })
        .collect()
}

/// The number typed, if any. An empty field is `None` and no error: whether
/// the field is needed is the core's rule, checked after.
pub(super) fn number<T: std::str::FromStr>(
    field: &str,
    value: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    let folded = fold_digits(value);
    if folded.is_empty() {
        return None;
    }
    match parse_number(field, &folded) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// The date typed, if any; as with numbers, empty is not an error here.
pub(super) fn date(field: &str, value: &str, errors: &mut Vec<ValidationError>) -> Option<Date> {
    if value.trim().is_empty() {
        return None;
    }
    match Date::parse(field, value) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// The date typed, which must be there.
pub(super) fn required_date(
    field: &str,
    value: &str,
    errors: &mut Vec<ValidationError>,
) -> Option<Date> {
    if value.trim().is_empty() {
        errors.push(ValidationError::new(
            field,
            "required",
            format!("{field} must not be empty"),
        ));
        return None;
    }
    date(field, value, errors)
}

/// The coded value chosen (a select's value); an error is put on the form's
/// `field`, whatever field name the type's own `parse` gave it.
pub(super) fn coded<T>(
    field: &str,
    value: &str,
    parse: fn(&str) -> Result<T, ValidationError>,
    errors: &mut Vec<ValidationError>,
) -> Option<T> {
    match parse(value) {
        Ok(v) => Some(v),
        Err(mut e) => {
            e.field = field.to_owned();
            errors.push(e);
            None
        }
    }
}
