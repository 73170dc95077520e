//! Sizes as people read them, the same in the app, the CLI and sync's
//! summary.

/// Bytes as a person reads them (SI units): `812 B`, `14.2 kB`, `3.1 MB`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_in_the_unit_that_fits() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_000), "1.0 kB");
        assert_eq!(human_bytes(14_200), "14.2 kB");
        assert_eq!(human_bytes(3_100_000), "3.1 MB");
        assert_eq!(human_bytes(12_345_678), "12.3 MB");
    }
}
