//! Project tasks: `cargo xtask run` sets up and runs Karte, `cargo xtask test`
//! sets up and runs every test, `cargo xtask bench` prints the benchmarks,
//! `cargo xtask check-mobile` and `cargo xtask build-windows` build for the
//! other devices nurses carry.
//!
//! Each task installs what it needs (Debian packages, npm tools) and says what
//! it is doing, so a newcomer on a fresh Debian or Ubuntu machine needs nothing
//! but these commands.

mod app;
mod cross;
mod demo;
mod setup;
mod windows;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <run|test|bench|check-mobile|build-windows>
  run     set up, build everything, start a demo hub and vault, open the app
          (or, with no display, serve the UI on a loopback URL)
  test    set up (Debian packages, npm tools) and run every test
          (--clock DATE: every test and the demo data see that date, e.g.
          2028-02-29 or 2027-01-31T23:30:00+09:00; debug builds only)
  bench   run the benchmarks in release mode and print figures beside baselines
          (--only core|sync|app)
  check-mobile   check that the core and the app compile for Android
          (aarch64-linux-android; no APK: see README.md, \"Android and iPad\")
  build-windows  build the app for Windows (x86_64-pc-windows-gnu, mingw-w64) into
          $CARGO_TARGET_DIR/windows/karte-windows, check it and run it under Wine
          (--release: optimised, no console window, into karte-windows-release)";

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match task.as_str() {
        "run" => run(&root),
        "test" => test(&root),
        "bench" => bench(&root),
        "check-mobile" => cross::check_mobile(&root),
        "build-windows" => windows::build(&root, std::env::args().any(|a| a == "--release")),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the project root")
        .to_owned()
}

/// Prints a step the way every task announces what it is doing.
pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// Runs a command, failing with its name if it does not succeed.
pub fn run_command(command: &mut Command) -> Result<()> {
    with_test_clock(command);
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// Gives a command the tests' clock, when `--clock` set one.
pub fn with_test_clock(command: &mut Command) -> &mut Command {
    if let Some(value) = TEST_CLOCK.get() {
        command.env("KARTE_TEST_NOW", value);
    }
    command
}

/// clippy's compiler driver, from the toolchain that runs this task.
fn clippy_driver() -> PathBuf {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let driver = Path::new(&sysroot).join("bin/clippy-driver");
    if driver.is_file() {
        driver
    } else {
        PathBuf::from("clippy-driver")
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Where build output and scratch files go: Cargo's target directory, which
/// `.ci/run` points outside the clone.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn run(root: &Path) -> Result<()> {
    setup::system_packages(&[&app::APP_PACKAGES])?;
    app::wasm_tools(root)?;
    step("building the karte command line and the karte-hub server");
    run_command(cargo().args(["build", "--quiet", "-p", "karte-cli", "-p", "karte-hub-cli"]))?;
    let karte = target_dir(root).join("debug/karte");
    let hub_binary = target_dir(root).join("debug/karte-hub");
    let ui = app::build_ui(root)?;
    let display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    let desktop = if display {
        Some(app::build_tauri(root)?)
    } else {
        None
    };
    let demo = target_dir(root).join("karte-demo");
    let hub = demo::Hub::start(&hub_binary, &demo)?;
    let vault = demo::vault(&karte, &demo, &hub)?;
    match desktop {
        Some(binary) => {
            step("opening the Karte app (close its window to stop)");
            eprintln!("  unlock with the passphrase: {}", demo::PASSPHRASE);
            run_command(Command::new(binary).env("KARTE_VAULT", &vault))?;
        }
        None => {
            step("no display here: serving the UI on a loopback address instead (Ctrl-C stops)");
            eprintln!(
                "  open the URL below in a browser on this machine; unlock with the passphrase: {}",
                demo::PASSPHRASE
            );
            run_command(
                Command::new(&karte)
                    .args(["ui", "serve", "--ui-dist"])
                    .arg(&ui)
                    .env("KARTE_VAULT", &vault),
            )?;
        }
    }
    drop(hub);
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let args: Vec<String> = std::env::args().skip(2).filter(|a| a != "--").collect();
    if let Some(at) = args.iter().position(|a| a == "--clock") {
        let instant = args
            .get(at + 1)
            .context("--clock takes a date or an instant, e.g. 2028-02-29")?;
        set_test_clock(instant)?;
    }
    setup::system_packages(&[
        &setup::TEST_PACKAGES,
        &app::APP_PACKAGES,
        &cross::ANDROID_PACKAGES,
        &windows::PACKAGES,
    ])?;
    app::wasm_tools(root)?;
    setup::npm_tools(root)?;
    step("checking formatting (cargo fmt --check)");
    run_command(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("linting (clippy -D warnings) and running every test, from one build");
    run_command(linted(cargo().args([
        "test",
        "--workspace",
        "--all-targets",
    ])))?;
    run_command(linted(cargo().args([
        "test",
        "--workspace",
        "--doc",
        "--quiet",
    ])))?;
    app_tests(root)?;
    cross::check_mobile(root)?;
    windows::build(root, false)?;
    step(&format!(
        "all tests passed in {} min {} s",
        started.elapsed().as_secs() / 60,
        started.elapsed().as_secs() % 60
    ));
    Ok(())
}

/// Makes every process this run starts (tests, the demo data, the hub, the
/// app) agree that it is `instant` now: `KARTE_TEST_NOW` with the real time
/// it stands at, which debug builds of the core and the hub read.
fn set_test_clock(instant: &str) -> Result<()> {
    let date = instant.get(..10).unwrap_or_default();
    let looks_like_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !looks_like_date || instant.contains('@') {
        bail!("--clock takes a date or an instant, e.g. 2028-02-29 or 2027-01-31T23:30:00+09:00");
    }
    let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let value = format!("{instant}@{}", real.as_millis());
    step(&format!(
        "the tests' clock says {instant} (KARTE_TEST_NOW={value})"
    ));
    TEST_CLOCK
        .set(value)
        .map_err(|_| anyhow::anyhow!("--clock given twice"))
}

/// The `KARTE_TEST_NOW` every command of this run gets, if `--clock` set one.
/// (Setting the task's own environment would need `unsafe`, which the
/// workspace forbids; every command runs through [`run_command`] instead.)
static TEST_CLOCK: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Lints the workspace's own crates with clippy (`-D warnings`) while
/// Cargo compiles them for real: clippy runs as the compiler of the
/// workspace's members only, so the dependencies are compiled once for
/// both the lint and the tests instead of once in `check` mode for clippy
/// and again for the test build.
pub fn linted(command: &mut Command) -> &mut Command {
    command.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()).env(
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    )
}

/// The app's own tests: the UI's unit and render tests, the UI in
/// Chromium against the bridge and a hub, and the Tauri app under a
/// virtual display over WebDriver.
fn app_tests(root: &Path) -> Result<()> {
    let ui = app::build_ui(root)?;
    // The app before the shell's tests, alone: `generate_context!` writes
    // the UI's compressed files into the build script's output folder and
    // embeds them, and the library and its tests, compiled side by side,
    // would each expand it at once. One then embedded the wasm while the
    // other was still writing it (a truncated file: the window stayed
    // blank, its wasm answered by index.html). Expanded once here, the
    // test build finds the files whole.
    let desktop = app::build_tauri(root)?;
    app::check_outside_workspace(root)?;
    let karte = target_dir(root).join("debug/karte");
    // `cargo test --workspace` has built both binaries.
    let hub_binary = target_dir(root).join("debug/karte-hub");
    let artifacts = target_dir(root).join("test-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    step(
        "the UI in Chromium (Playwright): first run, visits, trends, languages, locking, conflicts",
    );
    run_command(
        Command::new("node")
            .args(["--test", "app.test.mjs"])
            .current_dir(root.join("tests/browser"))
            .env("KARTE_BIN", &karte)
            .env("KARTE_HUB_BIN", &hub_binary)
            .env("KARTE_UI_DIST", &ui)
            .env("KARTE_ARTIFACTS", &artifacts),
    )?;
    let driver = app::tauri_driver()?;
    step("the desktop app under Xvfb over WebDriver (tauri-driver)");
    run_command(
        Command::new("xvfb-run")
            .args([
                "-a",
                "-s",
                "-screen 0 1280x800x24",
                "node",
                "--test",
                "app.test.mjs",
            ])
            .current_dir(root.join("tests/desktop"))
            .env("KARTE_BIN", &karte)
            .env("KARTE_APP", &desktop)
            .env("TAURI_DRIVER", &driver)
            .env("KARTE_ARTIFACTS", &artifacts),
    )?;
    eprintln!("  screenshots are in {}", artifacts.display());
    Ok(())
}

fn bench(root: &Path) -> Result<()> {
    let args: Vec<String> = std::env::args().skip(2).filter(|a| a != "--").collect();
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|at| args.get(at + 1))
        .map(String::as_str);
    if !matches!(only, Some("app" | "docs")) {
        step("building and running the benchmarks in release mode (this takes a few minutes)");
        run_command(
            cargo()
                .args(["run", "--release", "--quiet", "-p", "karte-bench", "--"])
                .args(&args),
        )?;
    }
    if only.is_none() || only == Some("docs") {
        step("the documents' figures: a 報告書 of 25 visits beside an empty one (release)");
        run_command(cargo().args(["bench", "-p", "karte-docs"]))?;
    }
    if only.is_none() || only == Some("app") {
        app_bench(root)?;
    }
    Ok(())
}

/// The app's figures in Chromium against a release bridge and UI.
fn app_bench(root: &Path) -> Result<()> {
    setup::system_packages(&[&setup::TEST_PACKAGES, &app::APP_PACKAGES])?;
    app::wasm_tools(root)?;
    setup::npm_tools(root)?;
    step("building the karte command line (release) for the app benchmark");
    run_command(cargo().args(["build", "--release", "--quiet", "-p", "karte-cli"]))?;
    let ui = app::build_ui(root)?;
    step("the app in Chromium: cold start, search, chart opening, bundle size (a few minutes)");
    run_command(
        Command::new("node")
            .arg("bench.mjs")
            .current_dir(root.join("tests/browser"))
            .env("KARTE_BIN", target_dir(root).join("release/karte"))
            .env("KARTE_UI_DIST", &ui),
    )
}
