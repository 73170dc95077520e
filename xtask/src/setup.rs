//! Installs what the tasks need: Debian packages (as root, or tells a non-root
//! user the exact command) and the npm tools the tests use.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{run_command, step};

/// A Debian package and the program it provides (a program already on PATH,
/// from whatever source, is as good as the package).
pub struct Package {
    pub name: &'static str,
    pub provides: Option<&'static str>,
}

/// What the test suite needs beyond Rust: Node.js and npm for the independent
/// FHIR validator, PostgreSQL for the hub's scale backend (the tests start
/// their own server on loopback), poppler for reading back the PDFs,
/// iproute2 for the tests that put devices in network namespaces, nftables
/// for the loss of their shaped link.
pub const TEST_PACKAGES: [Package; 6] = [
    Package {
        name: "nodejs",
        provides: Some("node"),
    },
    // pdftotext and pdftoppm, which read back the documents karte-docs makes.
    Package {
        name: "poppler-utils",
        provides: Some("pdftotext"),
    },
    Package {
        name: "npm",
        provides: Some("npm"),
    },
    Package {
        name: "postgresql",
        provides: None,
    },
    // `ip netns`, for peer sync between devices in their own namespaces.
    Package {
        name: "iproute2",
        provides: Some("ip"),
    },
    // `nft`, the 2 % loss of the shaped link in the three-namespace test.
    Package {
        name: "nftables",
        provides: Some("nft"),
    },
];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn installed(package: &Package) -> bool {
    if package.provides.is_some_and(on_path) {
        return true;
    }
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package.name])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs the Debian packages whose programs are missing.
///
/// Takes every list a command needs at once, so that a newcomer who is not
/// root is shown one command to run, and `apt-get update` runs once.
pub fn system_packages(lists: &[&[Package]]) -> Result<()> {
    let mut missing: Vec<&str> = Vec::new();
    for package in lists.iter().flat_map(|list| list.iter()) {
        if !missing.contains(&package.name) && !installed(package) {
            missing.push(package.name);
        }
    }
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
    for folder in ["crates/karte-fhir/tests/validator", "tests/browser"] {
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
