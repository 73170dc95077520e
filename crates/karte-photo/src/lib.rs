//! Wound photos as the vault keeps them: a JPEG or PNG from a tablet's
//! camera or a file, checked, without its metadata, and a thumbnail made
//! at the same time.
//!
//! The metadata (EXIF with GPS, XMP, comments, text chunks, embedded
//! previews) is taken out at the level of the file's segments, so the
//! pixels a nurse photographed are stored as they were: no second JPEG
//! compression, and the same file gives the same bytes on every device,
//! which is what makes the content hash a photo's identity. Only a photo
//! whose EXIF says it is turned is decoded, turned and encoded again, since
//! without its EXIF it would show on its side.
//!
//! Every photo is decoded in full before it is taken: a file that is not
//! a whole JPEG or PNG is refused, and nothing of it is stored.
//!
//! **Invariant:** this crate does no I/O: bytes in, bytes out.

mod strip;

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use strip::Kind;

/// The largest photo file taken. A 48-megapixel phone photo is about 12 MB.
pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;

/// The longest edge of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;

/// The largest width or height decoded: a file claiming more is refused
/// before its pixels are allocated.
const MAX_EDGE: u32 = 16_384;

/// JPEG quality of the thumbnails and of photos that had to be turned.
const THUMBNAIL_QUALITY: u8 = 80;
const TURNED_QUALITY: u8 = 92;

/// Why a photo was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error(
        "the photo is {size} bytes, more than the {limit} bytes a photo may have: take it again at a lower resolution"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("the file is not a photo Karte can keep ({0}): choose a JPEG or PNG image")]
    NotAnImage(String),
}

/// A photo ready for the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    /// The photo without metadata, upright.
    pub image: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub media_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// A JPEG whose longest edge is at most [`THUMBNAIL_EDGE`].
    pub thumbnail: Vec<u8>,
}

/// Checks a photo file, takes its metadata out and makes its thumbnail.
pub fn prepare(file: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    if file.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge {
            size: file.len(),
            limit: MAX_PHOTO_BYTES,
        });
    }
    let (stripped, format, media_type) = match Kind::of(file) {
        Some(Kind::Jpeg) => (strip::strip_jpeg(file)?, ImageFormat::Jpeg, "image/jpeg"),
        Some(Kind::Png) => (strip::strip_png(file)?, ImageFormat::Png, "image/png"),
        None if file.is_empty() => return Err(PhotoError::NotAnImage("the file is empty".into())),
        None => {
            return Err(PhotoError::NotAnImage(
                "it is neither a JPEG nor a PNG file".into(),
            ));
        }
    };
    let mut picture = decode(&stripped.bytes, format)?;
    let image = match Orientation::from_exif(stripped.orientation as u8) {
        Some(Orientation::NoTransforms) | None => stripped.bytes,
        Some(turn) => {
            picture.apply_orientation(turn);
            encode(&picture, format)?
        }
    };
    let thumbnail = encode(
        &DynamicImage::ImageRgb8(picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE).to_rgb8()),
        ImageFormat::Jpeg,
    )?;
    Ok(PreparedPhoto {
        image,
        media_type,
        width: picture.width(),
        height: picture.height(),
        thumbnail,
    })
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|error| PhotoError::NotAnImage(format!("it does not decode: {error}")))
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Png => picture.write_to(&mut Cursor::new(&mut out), ImageFormat::Png),
        _ => {
            let quality = if picture.width().max(picture.height()) <= THUMBNAIL_EDGE {
                THUMBNAIL_QUALITY
            } else {
                TURNED_QUALITY
            };
            let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
            rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out, quality,
            ))
        }
    };
    written
        .map_err(|error| PhotoError::NotAnImage(format!("it could not be re-encoded: {error}")))?;
    Ok(out)
}

/// Test photos: pictures made from a seed, as JPEG or PNG, with a camera's
/// EXIF block (GPS position, maker, a description) put in, as a tablet's
/// camera writes it.
#[doc(hidden)]
pub mod sample {
    use super::*;

    /// The text the sample EXIF carries, to look for where it must not be.
    pub const EXIF_MAKER: &str = "KARTE-TEST-CAMERA-MAKER";
    pub const EXIF_DESCRIPTION: &str = "KARTE-TEST-GPS-NEAR-HOME";

    /// A `width`×`height` picture that differs for every seed and does not
    /// compress to nothing (a JPEG of about 0.3 bytes a pixel at 90).
    pub fn picture(width: u32, height: u32, seed: u32) -> DynamicImage {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let buffer = image::RgbImage::from_fn(width, height, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state & 0x1f) as u8;
            image::Rgb([
                ((x * 255 / width.max(1)) as u8).wrapping_add(noise),
                ((y * 255 / height.max(1)) as u8).wrapping_add(noise),
                (((x + y) % 256) as u8) ^ (seed as u8),
            ])
        });
        DynamicImage::ImageRgb8(buffer)
    }

    /// The picture as a JPEG at quality 90, with an EXIF block right after
    /// the start marker giving `orientation`.
    pub fn jpeg_with_exif(width: u32, height: u32, seed: u32, orientation: u16) -> Vec<u8> {
        let mut plain = Vec::new();
        picture(width, height, seed)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut plain, 90,
            ))
            .expect("encoding to memory");
        let tiff = exif_tiff(orientation);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut file = vec![0xFF, 0xD8, 0xFF, 0xE1];
        file.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        file.extend_from_slice(&app1);
        file.extend_from_slice(&plain[2..]);
        file
    }

    /// The picture as a PNG with a text chunk and an `eXIf` chunk.
    pub fn png_with_metadata(width: u32, height: u32, seed: u32) -> Vec<u8> {
        let mut plain = Vec::new();
        picture(width, height, seed)
            .write_to(&mut Cursor::new(&mut plain), ImageFormat::Png)
            .expect("encoding to memory");
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut out = (data.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc32(kind, data).to_be_bytes());
            out
        };
        // After the signature (8) and IHDR (25).
        let mut file = plain[..33].to_vec();
        file.extend(chunk(
            b"tEXt",
            format!("Description\0{EXIF_DESCRIPTION}").as_bytes(),
        ));
        file.extend(chunk(b"eXIf", &exif_tiff(1)));
        file.extend_from_slice(&plain[33..]);
        file
    }

    fn crc32(kind: &[u8], data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in kind.iter().chain(data) {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A big-endian TIFF: IFD0 with the maker, a description, the
    /// orientation and a pointer to a GPS directory with a position.
    fn exif_tiff(orientation: u16) -> Vec<u8> {
        let maker = format!("{EXIF_MAKER}\0");
        let description = format!("{EXIF_DESCRIPTION}\0");
        // Header (8), IFD0 (2 + 4×12 + 4 = 54), GPS IFD (2 + 2×12 + 4 = 30),
        // then the data the entries point at.
        let gps_at = 8 + 54;
        let data_at = gps_at + 30;
        let maker_at = data_at;
        let description_at = maker_at + maker.len();
        let latitude_at = description_at + description.len();
        let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend_from_slice(&tag.to_be_bytes());
            t.extend_from_slice(&kind.to_be_bytes());
            t.extend_from_slice(&count.to_be_bytes());
            t.extend_from_slice(&value);
        };
        t.extend_from_slice(&4u16.to_be_bytes());
        entry(
            &mut t,
            0x010E,
            2,
            description.len() as u32,
            (description_at as u32).to_be_bytes(),
        );
        entry(
            &mut t,
            0x010F,
            2,
            maker.len() as u32,
            (maker_at as u32).to_be_bytes(),
        );
        let o = orientation.to_be_bytes();
        entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
        entry(&mut t, 0x8825, 4, 1, (gps_at as u32).to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(&2u16.to_be_bytes());
        entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
        entry(&mut t, 0x0002, 5, 3, (latitude_at as u32).to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        t.extend_from_slice(maker.as_bytes());
        t.extend_from_slice(description.as_bytes());
        for (numerator, denominator) in [(35u32, 1u32), (41, 1), (2232, 100)] {
            t.extend_from_slice(&numerator.to_be_bytes());
            t.extend_from_slice(&denominator.to_be_bytes());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::sample::*;
    use super::*;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_camera_jpeg_loses_its_exif_and_keeps_its_pixels_byte_for_byte() {
        let file = jpeg_with_exif(64, 48, 1, 1);
        assert!(contains(&file, EXIF_MAKER.as_bytes()));
        let photo = prepare(&file).unwrap();
        for needle in [EXIF_MAKER, EXIF_DESCRIPTION, "Exif"] {
            assert!(!contains(&photo.image, needle.as_bytes()), "{needle}");
            assert!(!contains(&photo.thumbnail, needle.as_bytes()), "{needle}");
        }
        // The scan data is the camera's own, not a second compression.
        let scan = &file[file.len() - 200..];
        assert!(contains(&photo.image, scan));
        assert_eq!(
            (photo.width, photo.height, photo.media_type),
            (64, 48, "image/jpeg")
        );
        // The same file always gives the same bytes.
        assert_eq!(prepare(&file).unwrap(), photo);
    }

    #[test]
    fn a_turned_photo_is_stored_upright() {
        let photo = prepare(&jpeg_with_exif(64, 48, 2, 6)).unwrap();
        assert_eq!((photo.width, photo.height), (48, 64));
        assert!(!contains(&photo.image, EXIF_MAKER.as_bytes()));
        assert!(!contains(&photo.image, b"Exif"));
    }

    #[test]
    fn a_png_loses_its_text_and_exif_chunks() {
        let file = png_with_metadata(40, 30, 3);
        assert!(contains(&file, EXIF_DESCRIPTION.as_bytes()));
        let photo = prepare(&file).unwrap();
        assert_eq!(photo.media_type, "image/png");
        for needle in [EXIF_MAKER, EXIF_DESCRIPTION, "tEXt", "eXIf"] {
            assert!(!contains(&photo.image, needle.as_bytes()), "{needle}");
        }
        let decoded = image::load_from_memory(&photo.image).unwrap();
        assert_eq!(decoded.to_rgb8(), picture(40, 30, 3).to_rgb8());
    }

    #[test]
    fn the_thumbnail_is_a_small_jpeg() {
        let photo = prepare(&jpeg_with_exif(1200, 900, 4, 1)).unwrap();
        let thumbnail = image::load_from_memory(&photo.thumbnail).unwrap();
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));
        assert!(photo.thumbnail.starts_with(&[0xFF, 0xD8]));
    }

    #[test]
    fn what_is_not_a_whole_photo_is_refused() {
        let good = jpeg_with_exif(64, 48, 5, 1);
        let mut damaged = good.clone();
        let middle = damaged.len() / 2;
        damaged.truncate(middle);
        for (file, why) in [
            (&b""[..], "empty"),
            (b"%PDF-1.7 not a photo", "neither"),
            (&good[..good.len() - 300], "cut off"),
            (&damaged, "cut off"),
        ] {
            match prepare(file) {
                Err(PhotoError::NotAnImage(reason)) => assert!(reason.contains(why), "{reason}"),
                other => panic!("{why}: {other:?}"),
            }
        }
        // A PNG whose picture data is damaged: the chunks are whole, the
        // pixels do not decode.
        let mut png = png_with_metadata(40, 30, 6);
        let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
        for byte in &mut png[idat + 6..idat + 30] {
            *byte ^= 0x5A;
        }
        match prepare(&png) {
            Err(PhotoError::NotAnImage(reason)) => assert!(reason.contains("decode"), "{reason}"),
            other => panic!("damaged PNG: {other:?}"),
        }
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_it_is_read() {
        let big = vec![0u8; MAX_PHOTO_BYTES + 1];
        assert_eq!(
            prepare(&big),
            Err(PhotoError::TooLarge {
                size: MAX_PHOTO_BYTES + 1,
                limit: MAX_PHOTO_BYTES
            })
        );
    }
}
