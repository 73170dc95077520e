//! Project tasks: `cargo xtask run` sets up and runs Karte, `cargo xtask test`
//! sets up and runs every test, `cargo xtask bench` prints the benchmarks.
//!
//! Each task installs what it needs (Debian packages, npm tools) and says what
//! it is doing, so a newcomer on a fresh Debian or Ubuntu machine needs nothing
//! but these commands.

mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <run|test|bench>
  run     set up, create a demo vault and show a chart with the karte CLI
  test    set up (Debian packages, npm tools) and run every test
  bench   run the benchmarks in release mode and print figures beside baselines";

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match task.as_str() {
        "run" => run(&root),
        "test" => test(&root),
        "bench" => bench(&root),
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
    let shown = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
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
    step("building the karte command line");
    run_command(cargo().args(["build", "--quiet", "-p", "karte-cli"]))?;
    let karte = target_dir(root).join("debug/karte");
    let demo = target_dir(root).join("karte-demo");
    let vault = demo.join("demo.karte");
    if demo.exists() {
        std::fs::remove_dir_all(&demo).context("removing the previous demo vault")?;
    }
    std::fs::create_dir_all(&demo)?;
    let karte_cmd = |args: &[&str]| {
        let mut c = Command::new(&karte);
        c.args(args)
            .env("KARTE_VAULT", &vault)
            .env("KARTE_PASSPHRASE", "demo passphrase");
        c
    };
    step(&format!(
        "creating a demo vault at {} (passphrase: 'demo passphrase')",
        vault.display()
    ));
    run_command(&mut karte_cmd(&["init", "--user", "demo-nurse"]))?;
    step("filling it with 20 synthetic patients and two years of home visits");
    run_command(&mut karte_cmd(&["demo", "--patients", "20", "--seed", "7"]))?;
    step("the patient list (search 'やま' to see kana folding)");
    run_command(&mut karte_cmd(&["patient", "list"]))?;
    run_command(&mut karte_cmd(&["patient", "list", "--search", "やま"]))?;
    let first = karte_cmd(&["patient", "list", "--ids"]).output()?;
    let first = String::from_utf8_lossy(&first.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if first.is_empty() {
        bail!("the demo vault has no patients");
    }
    step(&format!("the chart of patient {first}"));
    run_command(&mut karte_cmd(&["chart", "show", &first]))?;
    eprintln!(
        "\nTry it yourself:\n  export KARTE_VAULT={} KARTE_PASSPHRASE='demo passphrase'\n  {} --help",
        vault.display(),
        karte.display()
    );
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    setup::system_packages(&setup::TEST_PACKAGES)?;
    setup::npm_tools(root)?;
    step("checking formatting (cargo fmt --check)");
    run_command(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step("linting (cargo clippy -D warnings)");
    run_command(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("running every test (cargo test --workspace)");
    run_command(cargo().args(["test", "--workspace"]))?;
    step("all tests passed");
    Ok(())
}

fn bench(_root: &Path) -> Result<()> {
    step("building and running the benchmarks in release mode (this takes a few minutes)");
    run_command(
        cargo()
            .args(["run", "--release", "--quiet", "-p", "karte-bench", "--"])
            .args(std::env::args().skip(2)),
    )
}
