//! `karte ui serve`: the local HTTP bridge the web UI talks to when it runs
//! in a browser. It listens on 127.0.0.1 only and prints the one URL, with
//! its access token, that opens it.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use karte_api::{Environment, KdfParams};
use karte_bridge::{Bridge, Token};
use ring::rand::SystemRandom;

use crate::args::Cli;

/// Serve the local UI bridge (the vault's API on 127.0.0.1, behind a token).
#[derive(Debug, Args)]
pub struct UiCommand {
    #[command(subcommand)]
    pub action: UiAction,
}

#[derive(Debug, Subcommand)]
pub enum UiAction {
    /// Serve the vault to the local web UI until Ctrl-C; prints the URL to open.
    Serve(Serve),
}

#[derive(Debug, Args)]
pub struct Serve {
    /// Where to listen: 127.0.0.1 only; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

pub fn run(cli: &Cli, command: &UiCommand) -> Result<()> {
    let UiAction::Serve(serve) = &command.action;
    let vault = crate::vault_path(cli)?;
    let token = Token::generate(&SystemRandom::new())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the bridge's runtime")?;
    runtime.block_on(async {
        let listener = karte_bridge::bind(serve.listen).await?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // A vault made from the UI gets the same strong key derivation as
        // one made by `karte init`.
        let bridge = Bridge::new(
            vault,
            KdfParams::strong(),
            token.clone(),
            Environment::system,
        );
        println!("http://{addr}/?token={}", token.as_str());
        eprintln!("serving the vault to the local UI; press Ctrl-C to lock and stop");
        karte_bridge::serve(listener, bridge, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}
