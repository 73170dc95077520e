//! The font, and poppler's tools to read back what a document shows.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use karte_docs::{DEFAULT_FONT_PATH, DocumentFont};

/// The font, read once for all the tests (the collection is about 20 MB);
/// a clone shares its bytes.
pub fn font() -> DocumentFont {
    static FONT: OnceLock<DocumentFont> = OnceLock::new();
    FONT.get_or_init(|| {
        DocumentFont::from_environment().unwrap_or_else(|error| {
            panic!("{error}\n(the tests use {DEFAULT_FONT_PATH}: apt-get install fonts-noto-cjk)")
        })
    })
    .clone()
}

/// Runs a poppler tool on a PDF given on its standard input (so the test
/// writes no document to disk) and returns its standard output.
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("cannot run {tool} ({error}): install Debian's poppler-utils (apt-get install poppler-utils)")
        });
    let mut stdin = child.stdin.take().expect("piped");
    let pdf = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&pdf));
    let output = child.wait_with_output().expect("the tool ran");
    writer
        .join()
        .expect("writer")
        .expect("the PDF was handed over");
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The document's text in the order it was drawn, page by page.
pub fn pages_text(pdf: &[u8]) -> Vec<String> {
    let text = String::from_utf8(poppler(
        "pdftotext",
        &["-raw", "-enc", "UTF-8", "-", "-"],
        pdf,
    ))
    .expect("UTF-8 text");
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|page| page.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Text without the spaces and line breaks that layout puts in.
pub fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The first page rendered in grey at 50 dpi: how many pixels are not white,
/// and how many there are.
pub fn first_page_ink(pdf: &[u8]) -> (usize, usize) {
    let pgm = poppler(
        "pdftoppm",
        &[
            "-gray",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-",
        ],
        pdf,
    );
    // A binary PGM: "P5", width, height, maximum value, then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5", "pdftoppm -gray writes a binary PGM");
    let width: usize = fields[1].parse().expect("width");
    let height: usize = fields[2].parse().expect("height");
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), width * height);
    let ink = pixels.iter().filter(|&&value| value < 200).count();
    (ink, pixels.len())
}
