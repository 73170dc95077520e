//! Resource ids: UUID-shaped, derived from the entry's ULID and the kind of
//! resource, so the same chart always exports with the same ids (an export
//! can be compared and re-imported) and no randomness is needed.

/// The id of the resource of `kind` made from the chart value named `id`, in
/// the UUID form that `urn:uuid:` full URLs require (version 8: custom).
pub fn resource_id(kind: &str, id: &str) -> String {
    let mut bits = finish(fnv1a(&[kind, id]));
    // Version 8 (RFC 9562, vendor-specific) and the RFC 4122 variant.
    bits = (bits & !(0xF << 76)) | (0x8 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The full URL of a resource in the bundle, and the reference to it.
pub fn full_url(resource_id: &str) -> String {
    format!("urn:uuid:{resource_id}")
}

/// FNV-1a over the parts, each closed by 0xFF (a byte UTF-8 never contains),
/// so ("ab", "c") and ("a", "bc") differ.
fn fnv1a(parts: &[&str]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;
    let mut hash = OFFSET;
    for part in parts {
        for byte in part.bytes().chain([0xFF]) {
            hash ^= u128::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

/// A bijective mix (xor-shifts and odd multipliers), so ids that differ in
/// one character of a ULID look unrelated rather than nearly equal.
fn finish(mut h: u128) -> u128 {
    h ^= h >> 67;
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835);
    h ^= h >> 59;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93_C2B2_AE3D_27D4_EB4F);
    h ^ (h >> 71)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && s.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            && groups[2].starts_with('8')
            && groups[3].starts_with(['8', '9', 'a', 'b'])
    }

    #[test]
    fn ids_are_stable() {
        assert_eq!(
            resource_id("encounter", "01JD5T7Y2XK4M6V9B3N8P0QRST"),
            resource_id("encounter", "01JD5T7Y2XK4M6V9B3N8P0QRST")
        );
        assert_ne!(
            resource_id("encounter", "01JD5T7Y2XK4M6V9B3N8P0QRST"),
            resource_id("note", "01JD5T7Y2XK4M6V9B3N8P0QRST")
        );
        assert_ne!(resource_id("ab", "c"), resource_id("a", "bc"));
    }

    proptest! {
        #[test]
        fn every_id_is_uuid_shaped(kind in "[a-z/-]{1,20}", id in "\\PC{0,40}") {
            let uuid = resource_id(&kind, &id);
            prop_assert!(is_uuid(&uuid), "{}", uuid);
            prop_assert_eq!(full_url(&uuid), format!("urn:uuid:{uuid}"));
        }

        #[test]
        fn different_entries_get_different_ids(a in "[0-9A-Z]{26}", b in "[0-9A-Z]{26}") {
            prop_assume!(a != b);
            prop_assert_ne!(resource_id("condition", &a), resource_id("condition", &b));
        }
    }
}
