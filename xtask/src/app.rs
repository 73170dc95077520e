//! Building the app: the wasm UI (`ui/build.sh`, trunk-free) and the Tauri
//! shell (`src-tauri/`), each in its own target folder so neither touches
//! the workspace's build, and the tools they need.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, linted, run_command, step, target_dir};

/// The Debian packages the app and its end-to-end tests need: WebKitGTK
/// and the Tauri build dependencies, a virtual display and the WebKit
/// WebDriver, Chromium for the browser tests, ImageMagick for screenshots
/// and a Japanese font.
pub const APP_PACKAGES: [crate::setup::Package; 12] = {
    use crate::setup::Package;
    const fn lib(name: &'static str) -> Package {
        Package {
            name,
            provides: None,
        }
    }
    [
        lib("libwebkit2gtk-4.1-dev"),
        lib("build-essential"),
        lib("libxdo-dev"),
        lib("libssl-dev"),
        lib("libayatana-appindicator3-dev"),
        lib("librsvg2-dev"),
        Package {
            name: "xvfb",
            provides: Some("Xvfb"),
        },
        Package {
            name: "xauth",
            provides: Some("xauth"),
        },
        Package {
            name: "webkit2gtk-driver",
            provides: Some("WebKitWebDriver"),
        },
        Package {
            name: "chromium",
            provides: Some("chromium"),
        },
        Package {
            name: "imagemagick",
            provides: Some("import"),
        },
        lib("fonts-noto-cjk"),
    ]
};

/// The version of a package in a Cargo.lock.
fn locked_version(lock: &Path, package: &str) -> Result<String> {
    let text =
        std::fs::read_to_string(lock).with_context(|| format!("reading {}", lock.display()))?;
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = text
        .find(&marker)
        .with_context(|| format!("{package} is not in {}", lock.display()))?
        + marker.len();
    let end = text[start..].find('"').context("a malformed Cargo.lock")? + start;
    Ok(text[start..end].to_owned())
}

fn cargo_bin(program: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    home.join("bin").join(program)
}

/// The wasm target, and wasm-bindgen's command line at exactly the version
/// the UI's lock file pins (any other version refuses the UI's output).
pub fn wasm_tools(root: &Path) -> Result<()> {
    step("adding the wasm32-unknown-unknown target (rustup)");
    run_command(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    let wanted = locked_version(&root.join("ui/Cargo.lock"), "wasm-bindgen")?;
    let have = Command::new(cargo_bin("wasm-bindgen"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if have != format!("wasm-bindgen {wanted}") {
        step(&format!(
            "installing wasm-bindgen-cli {wanted} (about 2 minutes, once)"
        ));
        run_command(cargo().args(["install", "--force", &format!("wasm-bindgen-cli@{wanted}")]))?;
    }
    Ok(())
}

/// tauri-driver, the WebDriver front of the Tauri app for its end-to-end
/// test.
pub fn tauri_driver() -> Result<PathBuf> {
    let driver = cargo_bin("tauri-driver");
    if !driver.is_file() {
        step("installing tauri-driver (about 30 seconds, once)");
        run_command(cargo().args(["install", "--locked", "tauri-driver"]))?;
    }
    Ok(driver)
}

/// Builds the UI into `ui/dist` (the folder the Tauri shell embeds and the
/// bridge serves) and returns it.
pub fn build_ui(root: &Path) -> Result<PathBuf> {
    let dist = root.join("ui/dist");
    step("building the UI (Yew to wasm, release) into ui/dist");
    run_command(
        Command::new("bash")
            .arg(root.join("ui/build.sh"))
            .arg(&dist)
            .env("CARGO_TARGET_DIR", target_dir(root).join("ui")),
    )?;
    if !dist.join("index.html").is_file() {
        bail!("the UI build left no index.html in {}", dist.display());
    }
    Ok(dist)
}

/// Builds the Tauri app with the UI embedded and returns its binary. The
/// shell is compiled the way [`check_outside_workspace`] lints and tests it
/// (clippy as its compiler, the same features), so the Tauri crates are
/// compiled once for all three.
pub fn build_tauri(root: &Path) -> Result<PathBuf> {
    let target = target_dir(root).join("tauri");
    step("building the desktop app (Tauri, WebKitGTK; a few minutes the first time)");
    run_command(
        linted(cargo().args(["build", "--quiet", "--features", "custom-protocol"]))
            .current_dir(root.join("src-tauri"))
            .env("CARGO_TARGET_DIR", &target),
    )?;
    Ok(target.join("debug/karte-app"))
}

/// Lints and unit-tests the two crates outside the workspace, each from one
/// build: clippy lints the crate while Cargo compiles its tests (see
/// [`linted`]), instead of a `check` build for clippy beside the test build.
pub fn check_outside_workspace(root: &Path) -> Result<()> {
    // The shell is checked with the features it is built with, so the
    // Tauri crates compile once.
    let shell: &[&str] = &["--features", "custom-protocol"];
    for (folder, target, features) in [("ui", "ui", &[][..]), ("src-tauri", "tauri", shell)] {
        let manifest = root.join(folder).join("Cargo.toml");
        let target = target_dir(root).join(target);
        step(&format!(
            "checking {folder}: fmt, clippy -D warnings and tests from one build"
        ));
        run_command(
            cargo()
                .args(["fmt", "--check", "--manifest-path"])
                .arg(&manifest),
        )?;
        run_command(
            linted(cargo().args(["test", "--quiet", "--all-targets", "--manifest-path"]))
                .arg(&manifest)
                .args(features)
                .env("CARGO_TARGET_DIR", &target),
        )?;
    }
    Ok(())
}
