//! Installs what the tasks need: Debian packages (as root, or tells a non-root
//! user the exact command) and the npm tools the tests use.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{run_command, step};

/// A Debian package and a file it installs, to tell whether it is present.
pub struct Package {
    pub name: &'static str,
    pub provides: &'static str,
}

/// What the test suite needs beyond Rust: Node.js and npm for the independent
/// FHIR validator.
pub const TEST_PACKAGES: [Package; 2] = [
    Package {
        name: "nodejs",
        provides: "node",
    },
    Package {
        name: "npm",
        provides: "npm",
    },
];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs the Debian packages whose programs are missing.
pub fn system_packages(packages: &[Package]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|p| !on_path(p.provides))
        .map(|p| p.name)
        .collect();
    if missing.is_empty() {
        step("system packages: all present");
        return Ok(());
    }
    let command = format!(
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    if !is_root() {
        bail!(
            "missing Debian packages: {}. Install them with:\n  sudo sh -c '{command}'\nthen run this again.",
            missing.join(", ")
        );
    }
    step(&format!(
        "installing Debian packages: {}",
        missing.join(" ")
    ));
    run_command(Command::new("sh").args(["-c", &command]))
}

/// Installs the npm packages of each test tool folder (lock files committed;
/// no browser or binary is downloaded).
pub fn npm_tools(root: &Path) -> Result<()> {
    for folder in ["crates/karte-fhir/tests/validator"] {
        let dir = root.join(folder);
        if !dir.join("package.json").exists() {
            continue;
        }
        step(&format!("installing npm tools in {folder}"));
        let lock = dir.join("package-lock.json");
        let verb = if lock.exists() { "ci" } else { "install" };
        run_command(
            Command::new("npm")
                .args([verb, "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir),
        )
        .with_context(|| format!("npm {verb} in {folder}"))?;
    }
    Ok(())
}
