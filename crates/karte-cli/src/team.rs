//! `karte team create|invite|join|revoke|show`: field teams that never met a hub.
//! The lead's device shows a code and serves it; the joiner types it.
//! Progress and the code go to standard error (the first line names the
//! address listened on, the second the code), results to standard output,
//! Japanese first.

use anyhow::Result;
use karte_api::types::TeamShown;

use crate::args::{Cli, TeamCommand};
use crate::open;

pub fn run(cli: &Cli, command: &TeamCommand) -> Result<()> {
    match command {
        TeamCommand::Create { name } => {
            let mut session = open(cli)?;
            let team = session.team_create(name)?;
            println!("チーム「{}」を作りました / team created", team.name);
            println!("{}", words(&team));
        }
        TeamCommand::Invite { team, listen } => invite(cli, team.as_deref(), listen)?,
        TeamCommand::Join { address, code } => {
            let mut session = open(cli)?;
            eprintln!("{address} に接続しています / connecting to {address}");
            let team = session.team_join(address, code)?;
            println!("チーム「{}」に参加しました / joined the team", team.name);
            println!("{}", words(&team));
        }
        TeamCommand::Revoke { device, lost, team } => {
            let mut session = open(cli)?;
            let shown = session.team_revoke(team, device, lost)?;
            println!(
                "端末 {device} をチームから外しました / device {device} revoked from the team"
            );
            println!("{}", words(&shown));
        }
        TeamCommand::Show { json } => {
            let session = open(cli)?;
            let teams = session.team_show()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&teams)?);
            } else if teams.is_empty() {
                println!("チームに入っていません / this device belongs to no team");
            } else {
                for team in &teams {
                    println!("{}", words(team));
                }
            }
        }
    }
    Ok(())
}

fn invite(cli: &Cli, team: Option<&str>, listen: &str) -> Result<()> {
    let mut session = open(cli)?;
    let (team, invitation, listener) = session.team_invite_open(team, listen)?;
    let address = listener.local_addr()?;
    eprintln!("チームへの参加を待っています / waiting for a device to join on {address}");
    eprintln!(
        "参加コード / joining code: {} (10分間有効 / valid 10 minutes)",
        invitation.code().display()
    );
    let joined = session.team_invite_serve(&team, invitation, &listener, |error| {
        eprintln!(
            "  参加に失敗しました / a joining attempt failed [{}]",
            error.code()
        );
    })?;
    println!("端末 {joined} がチームに参加しました / device {joined} joined the team");
    Ok(())
}

/// A team in a few lines: name, id, fingerprint, members.
fn words(team: &TeamShown) -> String {
    let mut lines = vec![format!(
        "{} ({}) 指紋 / fingerprint {}{}{}",
        team.name,
        team.id,
        team.fingerprint,
        if team.lead {
            ", リーダー / lead"
        } else {
            ""
        },
        if team.active {
            ", この端末のカルテはこのチームのもの / this device's charts are the team's"
        } else {
            ""
        },
    )];
    for member in &team.members {
        lines.push(format!(
            "  端末 / device {}{}{}",
            member.device,
            if member.lead {
                " (リーダー / lead)"
            } else {
                ""
            },
            if member.revoked {
                " (取り消し済み / revoked)"
            } else {
                ""
            },
        ));
    }
    lines.join("\n")
}
