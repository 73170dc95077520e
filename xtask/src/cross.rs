//! `check-mobile`: a compile check of the Rust side for Android tablets,
//! made from this Linux machine (the Windows build is in `windows.rs`).
//!
//! The platform's own toolchain is missing here (no Android SDK or NDK), so
//! it uses Debian's cross tools and says plainly what its result does and
//! does not prove.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::setup::Package;
use crate::{app, cargo, linted, run_command, setup, step, target_dir};

/// The Android target: 64-bit ARM, what current Android tablets run.
const ANDROID_TARGET: &str = "aarch64-linux-android";

/// The lowest Android API level the app supports (Android 7.0); the same
/// number as `bundle > android > minSdkVersion` in `src-tauri/tauri.conf.json`.
const ANDROID_API: u32 = 24;

/// The crates a device runs, all of which must compile for Android: the
/// vocabulary, the chart, the vault (SQLite bundled, ring's C and
/// assembly), sync (ring, rustls, reqwest) and the application API.
const CORE_CRATES: [&str; 5] = [
    "karte-types",
    "karte-record",
    "karte-store",
    "karte-sync",
    "karte-api",
];

/// Debian's C compiler for any target, its archiver, and the C headers of
/// 64-bit ARM Linux (glibc's, standing in for Android's bionic: see
/// [`android_c_environment`]).
pub const ANDROID_PACKAGES: [Package; 3] = [
    Package {
        name: "clang",
        provides: Some("clang"),
    },
    Package {
        name: "llvm",
        provides: Some("llvm-ar"),
    },
    Package {
        name: "libc6-dev-arm64-cross",
        provides: None,
    },
];

/// Where `libc6-dev-arm64-cross` puts the C headers of 64-bit ARM.
const ARM64_HEADERS: &str = "/usr/aarch64-linux-gnu/include";

/// What the C parts of the core (SQLite, ring) are compiled with: clang
/// for Android at [`ANDROID_API`], with the system's own headers switched
/// off and glibc's 64-bit ARM headers in their place. Android's C library
/// (bionic) and its headers come only with the NDK, which this machine
/// cannot download; glibc's declare the same POSIX functions, so the C
/// sources compile the way they would for Android, but the objects are not
/// something to ship. Nothing is linked: `cargo check` stops before that.
fn android_c_environment() -> Vec<(String, String)> {
    let key = ANDROID_TARGET.replace('-', "_");
    vec![
        (format!("CC_{key}"), "clang".to_owned()),
        (format!("AR_{key}"), "llvm-ar".to_owned()),
        (
            format!("CFLAGS_{key}"),
            format!("--target={ANDROID_TARGET}{ANDROID_API} -nostdlibinc -isystem {ARM64_HEADERS}"),
        ),
    ]
}

/// `cargo xtask check-mobile`: installs what it needs and checks that the
/// core crates and the app shell compile for Android, with clippy's lints
/// (`-D warnings`) on Karte's own code, in their own target folder.
pub fn check_mobile(root: &Path) -> Result<()> {
    step(&format!(
        "Android: a compile check of the Rust side for {ANDROID_TARGET} (API {ANDROID_API}). \
         Building an APK needs the Android SDK and NDK, which this machine does not have; \
         README.md, \"Android and iPad\", gives the steps on a machine that does"
    ));
    setup::system_packages(&[&ANDROID_PACKAGES])?;
    step(&format!("adding the {ANDROID_TARGET} target (rustup)"));
    run_command(Command::new("rustup").args(["target", "add", ANDROID_TARGET]))?;
    let target = target_dir(root).join("android");
    let c = android_c_environment();
    step(&format!(
        "checking the core crates for Android ({}); the C of SQLite and ring with clang \
         against glibc's arm64 headers, as the NDK is missing",
        CORE_CRATES.join(", ")
    ));
    eprintln!(
        "  {}",
        c.iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut core = cargo();
    core.args(["check", "--target", ANDROID_TARGET]);
    for crate_name in CORE_CRATES {
        core.args(["-p", crate_name]);
    }
    run_command(
        linted(&mut core)
            .envs(c.iter().cloned())
            .env("CARGO_TARGET_DIR", &target),
    )?;
    // The shell embeds the built UI at compile time.
    app::build_ui(root)?;
    step("checking the app shell (src-tauri, the library Android loads) for Android");
    run_command(
        linted(cargo().args([
            "check",
            "--lib",
            "--features",
            "custom-protocol",
            "--target",
            ANDROID_TARGET,
            "--manifest-path",
        ]))
        .arg(root.join("src-tauri/Cargo.toml"))
        .envs(c)
        .env("CARGO_TARGET_DIR", &target),
    )?;
    step(&format!(
        "Android check passed: the core and the shell compile for {ANDROID_TARGET}, lint-free. \
         Not shown here: linking (needs the NDK's bionic), the Kotlin side and the APK \
         (need the SDK)"
    ));
    Ok(())
}
