//! `karte photo`: wound photos added from a file, listed per wound, and
//! exported to a file (an audited export: the file is the plain photo).

use anyhow::{Context, Result};
use karte_api::types::{Base64Bytes, PhotoUpload, Timestamp, photos_by_wound};

use crate::args::{Cli, PhotoAdd, PhotoCommand, PhotoExport};
use crate::{Form, open};

pub fn run(cli: &Cli, command: &PhotoCommand) -> Result<()> {
    match command {
        PhotoCommand::Add(add) => self::add(cli, add),
        PhotoCommand::List { patient } => list(cli, patient),
        PhotoCommand::Export(export) => self::export(cli, export),
    }
}

fn add(cli: &Cli, add: &PhotoAdd) -> Result<()> {
    let file =
        std::fs::read(&add.file).with_context(|| format!("reading {}", add.file.display()))?;
    let mut form = Form::new();
    let taken_at = form.optional(&add.taken_at, |t| Timestamp::parse_rfc3339("taken-at", t));
    form.finish(|| ())?;
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&add.patient)?;
    let assessment = match &add.assessment {
        Some(typed) => Some(session.resolve_entry(&patient, typed)?),
        None => None,
    };
    let upload = PhotoUpload {
        file: Base64Bytes(file),
        taken_at,
        wound: add.wound.clone(),
        assessment,
    };
    println!("{}", session.add_photo(&patient, &upload)?);
    Ok(())
}

fn list(cli: &Cli, patient: &str) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(patient)?;
    let photos = session.photos(&patient)?;
    if photos.is_empty() {
        println!("no photos / 写真はありません");
        return Ok(());
    }
    for (wound, photos) in photos_by_wound(&photos) {
        println!(
            "{}",
            wound.as_deref().unwrap_or("(no wound named / 部位なし)")
        );
        for photo in photos {
            let assessment = photo
                .input
                .assessment
                .as_ref()
                .map(|a| format!("  DESIGN-R {a}"))
                .unwrap_or_default();
            println!(
                "  {}  {}  {}×{} {}  {} KB  by {}{}",
                photo.meta.id,
                photo.input.taken_at.to_rfc3339(),
                photo.input.width,
                photo.input.height,
                photo.input.media_type,
                photo.input.size.div_ceil(1024),
                photo.meta.recorded_by.user_name,
                assessment,
            );
        }
    }
    Ok(())
}

fn export(cli: &Cli, export: &PhotoExport) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&export.patient)?;
    let entry = session.resolve_photo(&patient, &export.photo)?;
    let (_, bytes) = session.export_photo(&patient, &entry)?;
    // Never over another file, and never half a photo under its name.
    crate::output_file::write_new(&export.out, |out| Ok(out.write_all(&bytes)?))?;
    eprintln!(
        "wrote the photo to {}: it is a plain image file, keep it safe",
        export.out.display()
    );
    Ok(())
}
