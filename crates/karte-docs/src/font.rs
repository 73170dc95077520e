//! The Japanese font every document is set in, read from the system at run
//! time (never shipped in the repository) and measured for line breaking.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::DocsError;

/// Debian's Noto Sans CJK (package fonts-noto-cjk), a TrueType collection.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// The face of [`DEFAULT_FONT_PATH`] with the Japanese glyph forms
/// (Noto Sans CJK JP; the others are KR, SC, TC, HK and the monospaced ones).
pub const DEFAULT_FONT_FACE: u32 = 0;
/// Names another font file for [`DocumentFont::from_environment`], with an
/// optional face index after a `#` (`/path/font.ttc#0`).
pub const FONT_PATH_VARIABLE: &str = "KARTE_DOCS_FONT";

/// A font face ready to embed and to measure. Loading reads the whole file
/// (about 20 MB for the collection), so load once and render many documents.
#[derive(Clone)]
pub struct DocumentFont {
    data: Arc<Vec<u8>>,
    face: u32,
    font: krilla::text::Font,
}

impl std::fmt::Debug for DocumentFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentFont")
            .field("bytes", &self.data.len())
            .field("face", &self.face)
            .finish()
    }
}

impl DocumentFont {
    /// The font named by `KARTE_DOCS_FONT`, or Debian's Noto Sans CJK JP.
    pub fn from_environment() -> Result<Self, DocsError> {
        match std::env::var_os(FONT_PATH_VARIABLE) {
            Some(value) => {
                let value = PathBuf::from(value);
                let text = value.to_string_lossy();
                match text.rsplit_once('#') {
                    Some((path, face)) if face.parse::<u32>().is_ok() => {
                        Self::load(Path::new(path), face.parse().unwrap_or(0))
                    }
                    _ => Self::load(&value, 0),
                }
            }
            None => Self::load(Path::new(DEFAULT_FONT_PATH), DEFAULT_FONT_FACE),
        }
    }

    /// A face of an OpenType/TrueType file or collection.
    pub fn load(path: &Path, face: u32) -> Result<Self, DocsError> {
        let data = std::fs::read(path).map_err(|source| DocsError::FontUnreadable {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(data, face).ok_or_else(|| DocsError::FontInvalid {
            path: path.to_owned(),
            face,
        })
    }

    /// A face of font data already in memory; `None` if it is not a font.
    pub fn from_bytes(data: Vec<u8>, face: u32) -> Option<Self> {
        let data = Arc::new(data);
        skrifa::FontRef::from_index(&data, face).ok()?;
        let font = krilla::text::Font::new(krilla::Data::from(data.clone()), face)?;
        Some(DocumentFont { data, face, font })
    }

    pub(crate) fn krilla_font(&self) -> krilla::text::Font {
        self.font.clone()
    }

    /// A measure of text widths at one size, for one layout.
    pub(crate) fn measure(&self, size: f32) -> Measure<'_> {
        // Checked in `from_bytes`.
        let font = skrifa::FontRef::from_index(&self.data, self.face)
            .expect("the face was read when the font was loaded");
        Measure {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::new(size), LocationRef::default()),
            size,
        }
    }
}

/// Advance widths in points at one font size.
pub(crate) struct Measure<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: skrifa::metrics::GlyphMetrics<'a>,
    size: f32,
}

impl Measure<'_> {
    pub(crate) fn char_width(&self, c: char) -> f32 {
        self.charmap
            .map(c)
            .and_then(|glyph| self.metrics.advance_width(glyph))
            // A character the font lacks is drawn as its missing-glyph box,
            // which in a CJK font is about one em wide.
            .unwrap_or(self.size)
    }

    pub(crate) fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.char_width(c)).sum()
    }
}
