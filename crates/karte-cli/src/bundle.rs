//! `karte bundle export` and `karte bundle import`: carried bundles for the
//! devices of this device's organisation. Progress goes to standard error,
//! the one-line summary to standard output. A bundle imported already is
//! not an error: there is nothing to do, and the command says so.

use anyhow::{Context, Result};
use karte_api::ApiError;

use crate::args::{BundleCommand, BundleExport, Cli};
use crate::open;

pub fn run(cli: &Cli, command: &BundleCommand) -> Result<()> {
    match command {
        BundleCommand::Export(export) => self::export(cli, export),
        BundleCommand::Import { file } => import(cli, file),
    }
}

fn export(cli: &Cli, export: &BundleExport) -> Result<()> {
    let mut session = open(cli)?;
    eprintln!("バンドルを作成中… / making the bundle…");
    let out = export.out.to_string_lossy().into_owned();
    let made = session.bundle_export(&export.for_org, &export.since_last, &Some(out.clone()))?;
    let what = if made.since_last {
        "前回からの変更 / changes since the last bundle"
    } else {
        "全カルテ / every chart"
    };
    println!(
        "{out} に書きました / wrote {out}: {what}, カルテ {} 件 / {} charts, 変更 {} 件 / {} changes, 宛先 {} 台 / for {} devices, {}",
        made.charts,
        made.charts,
        made.changes,
        made.changes,
        made.recipients,
        made.recipients,
        karte_api::human_bytes(made.bytes),
    );
    if made.not_carried > 0 {
        println!(
            "入れられなかったカルテ {} 件 / {} charts left out: they hold another device's changes whose signature this device does not keep; they reach the others through the hub",
            made.not_carried, made.not_carried
        );
    }
    Ok(())
}

fn import(cli: &Cli, file: &std::path::Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| {
        format!(
            "{} を読めません / cannot read {}",
            file.display(),
            file.display()
        )
    })?;
    let mut session = open(cli)?;
    eprintln!("バンドルを確認して取り込み中… / checking and importing the bundle…");
    match session.import_bundle(&bytes) {
        Ok(done) => {
            println!(
                "取り込みました / imported: 端末 {} から / from device {}, カルテ {} 件（新規 {} 件）/ {} charts ({} new), 新しい変更 {} 件 / {} new changes, 要確認 {} 件 / {} new review items",
                done.sender,
                done.sender,
                done.charts,
                done.new_charts,
                done.charts,
                done.new_charts,
                done.new_changes,
                done.new_changes,
                done.new_reviews,
                done.new_reviews,
            );
            Ok(())
        }
        Err(ApiError::BundleAlreadyImported { bundle }) => {
            println!(
                "このバンドルは取り込み済みです / this bundle ({bundle}) was imported already: nothing to do"
            );
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
