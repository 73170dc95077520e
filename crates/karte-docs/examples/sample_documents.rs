//! Renders the sample 報告書, 計画書 and 記録書Ⅱ of a made-up patient, and a
//! made-up shelter's 診療日報, into a folder, so a reviewer can open them:
//! `cargo run -p karte-docs --example sample_documents -- OUT_DIR`
//! (the font: Debian's fonts-noto-cjk, or KARTE_DOCS_FONT=/path/font.ttc#0).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use karte_docs::{
    DocsError, DocumentFont, render_disaster_report, render_plan, render_record, render_report,
    sample,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("give the folder to write the sample documents to")?,
    );
    std::fs::create_dir_all(&folder)?;
    let font = DocumentFont::from_environment()?;

    let mut long = sample::report(25);
    long.course = long.course.repeat(12);
    save(&folder, "houkokusho.pdf", |out| {
        render_report(&sample::report(25), &font, out)
    })?;
    save(&folder, "houkokusho-long.pdf", |out| {
        render_report(&long, &font, out)
    })?;
    save(&folder, "keikakusho.pdf", |out| {
        render_plan(&sample::plan(), &font, out)
    })?;
    save(&folder, "kirokusho2.pdf", |out| {
        render_record(&sample::record(), &font, out)
    })?;
    save(&folder, "shinryo-nippo.pdf", |out| {
        render_disaster_report(&sample::disaster_report(), &font, out)
    })?;
    Ok(())
}

fn save(
    folder: &Path,
    name: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), DocsError>,
) -> Result<(), Box<dyn std::error::Error>> {
    let path = folder.join(name);
    let mut out = BufWriter::new(File::create(&path)?);
    render(&mut out)?;
    println!("{}", path.display());
    Ok(())
}
