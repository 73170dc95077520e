//! What can go wrong making a document, with what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error(
        "cannot read the Japanese font {path}: {source}; install Debian's fonts-noto-cjk or set KARTE_DOCS_FONT to an OpenType/TrueType file or collection"
    )]
    FontUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} has no usable font at face {face}: give an OpenType/TrueType file, or a collection (.ttc) and the index of a face in it"
    )]
    FontInvalid { path: PathBuf, face: u32 },
    #[error("the PDF could not be made: {0}")]
    Pdf(String),
    #[error("the PDF could not be written: {0}")]
    Write(#[from] std::io::Error),
}
