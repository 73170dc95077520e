//! Runs the real `karte` binary against a vault in a temporary folder, with
//! the tests' cheap key-derivation parameters sealed in that vault's header
//! (a debug build's hidden `init` flag).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct TestVault {
    pub dir: tempfile::TempDir,
}

impl TestVault {
    /// A new vault whose first user is `admin`.
    pub fn new() -> TestVault {
        let vault = TestVault {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        vault.ok(&["init", "--user", "admin", "--insecure-fast-kdf-for-tests"]);
        vault
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("vault.karte")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_karte"));
        command
            .args(args)
            .env("KARTE_VAULT", self.path())
            .env("KARTE_PASSPHRASE", PASSPHRASE)
            .env_remove("KARTE_USER")
            .env_remove("KARTE_NEW_PASSPHRASE");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("karte runs")
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        Self::succeeded(args, output)
    }

    /// Runs a command that must succeed with the clock standing at `now`
    /// (`KARTE_TEST_NOW`); returns its standard output.
    pub fn ok_at(&self, now: &str, args: &[&str]) -> String {
        let output = self
            .command(args)
            .env("KARTE_TEST_NOW", now)
            .output()
            .expect("karte runs");
        Self::succeeded(args, output)
    }

    fn succeeded(args: &[&str], output: std::process::Output) -> String {
        assert!(
            output.status.success(),
            "karte {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    }

    /// Runs a command that must fail; returns its standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "karte {args:?} should have failed but printed:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let stderr = String::from_utf8(output.stderr).expect("utf-8 errors");
        assert!(
            !stderr.contains("panicked"),
            "karte {args:?} panicked:\n{stderr}"
        );
        stderr
    }

    pub fn add_yamada(&self) -> String {
        self.ok(&[
            "patient",
            "add",
            "--family",
            "山田",
            "--given",
            "太郎",
            "--family-kana",
            "ヤマダ",
            "--given-kana",
            "タロウ",
            "--birth",
            "1941-03-02",
            "--sex",
            "male",
        ])
        .trim()
        .to_owned()
    }

    pub fn chart_json(&self, patient: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["chart", "show", patient, "--json"])).expect("chart JSON")
    }
}

/// Every file in `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path)
            } else {
                files.push(path)
            }
        }
    }
    files
}
