//! Renders the sample 報告書, 計画書 and 記録書Ⅱ of a made-up patient into a
//! folder, so a reviewer can open them:
//! `cargo run -p karte-docs --example sample_documents -- OUT_DIR`
//! (the font: Debian's fonts-noto-cjk, or KARTE_DOCS_FONT=/path/font.ttc#0).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use karte_docs::{DocumentFont, render_plan, render_record, render_report, sample};

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
    let documents: [(
        &str,
        Box<dyn Fn(&mut BufWriter<File>) -> Result<(), karte_docs::DocsError>>,
    ); 4] = [
        (
            "houkokusho.pdf",
            Box::new(|out| render_report(&sample::report(25), &font, out)),
        ),
        (
            "houkokusho-long.pdf",
            Box::new(|out| render_report(&long, &font, out)),
        ),
        (
            "keikakusho.pdf",
            Box::new(|out| render_plan(&sample::plan(), &font, out)),
        ),
        (
            "kirokusho2.pdf",
            Box::new(|out| render_record(&sample::record(), &font, out)),
        ),
    ];
    for (name, render) in documents {
        let path = folder.join(name);
        let mut out = BufWriter::new(File::create(&path)?);
        render(&mut out)?;
        println!("{}", path.display());
    }
    Ok(())
}
