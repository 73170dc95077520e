//! Taking the metadata out of a JPEG or PNG file without touching its
//! pixels: the file is walked segment by segment (chunk by chunk) and only
//! what a decoder needs to draw the picture is copied.
//!
//! A camera's JPEG carries EXIF (with GPS, the camera's serial number, the
//! time), XMP, IPTC, comments, an embedded preview in the EXIF block, and
//! sometimes more pictures after the end marker (MPF); a PNG carries text
//! chunks and EXIF. None of them is copied. The one fact of EXIF that
//! changes how the picture looks, its orientation, is read and handed back,
//! so the caller can turn the pixels instead.

use crate::PhotoError;

/// What stripping found: the file without metadata and the EXIF
/// orientation it carried (1, upright, when none).
#[derive(Debug)]
pub(crate) struct Stripped {
    pub bytes: Vec<u8>,
    pub orientation: u16,
}

fn corrupt(what: &str) -> PhotoError {
    PhotoError::NotAnImage(what.to_owned())
}

const JPEG_START: [u8; 2] = [0xFF, 0xD8];
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The kinds of files taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Jpeg,
    Png,
}

impl Kind {
    pub(crate) fn of(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&JPEG_START) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(&PNG_SIGNATURE) {
            Some(Kind::Png)
        } else {
            None
        }
    }
}

/// The JPEG's segments that draw the picture, in their order, up to and
/// including the end marker; everything else is left out.
pub(crate) fn strip_jpeg(input: &[u8]) -> Result<Stripped, PhotoError> {
    if !input.starts_with(&JPEG_START) {
        return Err(corrupt("not a JPEG file"));
    }
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&JPEG_START);
    let mut orientation = 1;
    let mut at = 2;
    loop {
        // Markers may be preceded by fill bytes (0xFF).
        if input.get(at) != Some(&0xFF) {
            return Err(corrupt("the JPEG's segments are damaged or cut off"));
        }
        while input.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = input.get(at) else {
            return Err(corrupt("the JPEG is cut off before its end"));
        };
        at += 1;
        match marker {
            // The end of the picture: what follows (other pictures, a
            // camera's trailer) is not part of it.
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Ok(Stripped {
                    bytes: out,
                    orientation,
                });
            }
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let length = match input.get(at..at + 2) {
            Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
            None => return Err(corrupt("the JPEG is cut off inside a segment")),
        };
        if length < 2 || at + length > input.len() {
            return Err(corrupt("a JPEG segment is longer than the file"));
        }
        let payload = &input[at + 2..at + length];
        let segment = &input[at - 2..at + length];
        at += length;
        match marker {
            // Frame headers, Huffman and arithmetic tables, quantisation
            // tables, restart interval, line count, hierarchical frames.
            0xC0..=0xCF | 0xDB..=0xDF => out.extend_from_slice(segment),
            // JFIF: kept, but without the small preview it may hold.
            0xE0 if payload.starts_with(b"JFIF\0") && payload.len() >= 14 => {
                out.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
                out.extend_from_slice(&payload[..12]);
                out.extend_from_slice(&[0, 0]);
            }
            // EXIF: only its orientation is read.
            0xE1 if payload.starts_with(b"Exif\0\0") => {
                if let Some(found) = exif_orientation(&payload[6..]) {
                    orientation = found;
                }
            }
            // Adobe's colour transform flag, which decoders need.
            0xEE if payload.starts_with(b"Adobe") => out.extend_from_slice(segment),
            // A scan: its header, then the entropy-coded data up to the
            // next marker, copied as they are.
            0xDA => {
                out.extend_from_slice(segment);
                let end = scan_end(input, at)?;
                out.extend_from_slice(&input[at..end]);
                at = end;
            }
            // Everything else: APP1–APP15 (EXIF, XMP, ICC, IPTC, MPF…),
            // comments, extensions.
            _ => {}
        }
    }
}

/// Where the entropy-coded data that starts at `from` ends: at the first
/// marker that is neither a stuffed 0xFF00 nor a restart marker.
fn scan_end(input: &[u8], from: usize) -> Result<usize, PhotoError> {
    let mut at = from;
    while at + 1 < input.len() {
        if input[at] == 0xFF {
            match input[at + 1] {
                0x00 | 0xD0..=0xD7 => at += 2,
                // A fill byte before a marker.
                0xFF => at += 1,
                _ => return Ok(at),
            }
        } else {
            at += 1;
        }
    }
    Err(corrupt("the JPEG is cut off inside its picture data"))
}

/// The PNG's chunks that draw the picture, up to and including its end.
pub(crate) fn strip_png(input: &[u8]) -> Result<Stripped, PhotoError> {
    /// Chunks that change how the picture is drawn; text, time, EXIF and
    /// every chunk not named here are left out.
    const KEPT: [&[u8; 4]; 11] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"pHYs",
        b"bKGD",
    ];
    if !input.starts_with(&PNG_SIGNATURE) {
        return Err(corrupt("not a PNG file"));
    }
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    let mut orientation = 1;
    let mut at = PNG_SIGNATURE.len();
    loop {
        let Some(head) = input.get(at..at + 8) else {
            return Err(corrupt("the PNG is cut off before its end"));
        };
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(length))
            .filter(|end| *end <= input.len())
            .ok_or_else(|| corrupt("a PNG chunk is longer than the file"))?;
        if kind == b"eXIf"
            && let Some(found) = exif_orientation(&input[at + 8..end - 4])
        {
            orientation = found;
        }
        if KEPT.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(&input[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            return Ok(Stripped {
                bytes: out,
                orientation,
            });
        }
    }
}

/// The orientation tag (0x0112) of an EXIF block's first directory, if it
/// holds a valid one. The block is a TIFF file: a byte order, the offset
/// of the first directory, then 12-byte entries.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big_endian = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        Some(if big_endian {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })
    };
    let directory = u32_at(4)? as usize;
    let count = usize::from(u16_at(directory)?);
    (0..count).find_map(|i| {
        let entry = directory.checked_add(2 + 12 * i)?;
        // Tag 0x0112, type SHORT (3): the value sits in the entry itself.
        if u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3 {
            u16_at(entry + 8).filter(|v| (1..=8).contains(v))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_jpeg_keeps_its_picture_segments_and_loses_the_rest() {
        let mut file = vec![0xFF, 0xD8];
        // APP0 JFIF with a 1×1 preview (3 bytes).
        file.extend_from_slice(&[0xFF, 0xE0, 0, 19]);
        file.extend_from_slice(b"JFIF\0\x01\x02\0\0\x01\0\x01\x01\x01ABC");
        // A comment and an XMP block.
        file.extend_from_slice(&[0xFF, 0xFE, 0, 8]);
        file.extend_from_slice(b"SECRET");
        file.extend_from_slice(&[0xFF, 0xE1, 0, 9]);
        file.extend_from_slice(b"http:x");
        file.push(0);
        // A quantisation table, a scan with a stuffed byte and a restart.
        file.extend_from_slice(&[0xFF, 0xDB, 0, 3, 7]);
        file.extend_from_slice(&[0xFF, 0xDA, 0, 3, 1]);
        file.extend_from_slice(&[9, 0xFF, 0x00, 8, 0xFF, 0xD0, 7]);
        file.extend_from_slice(&[0xFF, 0xD9]);
        file.extend_from_slice(b"TRAILER");
        let stripped = strip_jpeg(&file).unwrap();
        let mut expected = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        expected.extend_from_slice(b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        expected.extend_from_slice(&[0xFF, 0xDB, 0, 3, 7]);
        expected.extend_from_slice(&[0xFF, 0xDA, 0, 3, 1]);
        expected.extend_from_slice(&[9, 0xFF, 0x00, 8, 0xFF, 0xD0, 7, 0xFF, 0xD9]);
        assert_eq!(stripped.bytes, expected);
        assert_eq!(stripped.orientation, 1);
    }

    #[test]
    fn the_orientation_is_read_in_either_byte_order() {
        for tiff in [
            &b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0"[..],
            &b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x08\0\0\0"[..],
        ] {
            let found = exif_orientation(tiff);
            assert!(matches!(found, Some(6) | Some(8)), "{found:?}");
        }
        assert_eq!(exif_orientation(b"MM\0\x2a\xff\xff\xff\xff"), None);
    }

    #[test]
    fn cut_off_files_are_refused() {
        assert!(strip_jpeg(&[0xFF, 0xD8, 0xFF, 0xDB, 0, 9, 1]).is_err());
        assert!(strip_jpeg(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 1, 2, 3]).is_err());
        assert!(strip_png(&PNG_SIGNATURE).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_give_an_answer_not_a_panic(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut jpeg = JPEG_START.to_vec();
            jpeg.extend_from_slice(&tail);
            let _ = strip_jpeg(&jpeg);
            let mut png = PNG_SIGNATURE.to_vec();
            png.extend_from_slice(&tail);
            let _ = strip_png(&png);
            let _ = exif_orientation(&tail);
        }

        #[test]
        fn stripping_twice_changes_nothing_more(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut jpeg = JPEG_START.to_vec();
            jpeg.extend_from_slice(&tail);
            if let Ok(once) = strip_jpeg(&jpeg) {
                let twice = strip_jpeg(&once.bytes).unwrap();
                prop_assert_eq!(twice.bytes, once.bytes);
            }
        }
    }
}
