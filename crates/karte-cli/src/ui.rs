//! `karte ui serve`: the local HTTP bridge the web UI talks to when it runs
//! in a browser. It listens on 127.0.0.1 only and prints the one URL, with
//! its access token, that opens it.

use anyhow::{Context, Result};
use karte_api::{Environment, KdfParams};
use karte_bridge::{Bridge, Token};
use ring::rand::SystemRandom;

use crate::args::{Cli, UiAction, UiCommand};

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
        let mut bridge = Bridge::new(
            vault,
            KdfParams::strong(),
            token.clone(),
            Environment::system,
        );
        if let Some(dist) = &serve.ui_dist {
            if !dist.join("index.html").is_file() {
                anyhow::bail!(
                    "{} holds no built UI (no index.html): build it with `cargo xtask run` or `ui/build.sh {}`",
                    dist.display(),
                    dist.display()
                );
            }
            bridge = bridge.with_ui(dist.clone());
        }
        // The token rides in the fragment, which the browser never sends
        // to any server or writes to a referrer.
        println!("http://{addr}/#token={}", token.as_str());
        eprintln!("serving the vault to the local UI; press Ctrl-C to lock and stop");
        karte_bridge::serve(listener, bridge, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(())
    })
}
