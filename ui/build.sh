#!/usr/bin/env bash
# Builds the wasm UI into a folder of static files: ui/build.sh DIST [--debug]
# (release by default). Needs the wasm32-unknown-unknown target and the
# wasm-bindgen CLI of exactly the version pinned in ui/Cargo.toml.
# It builds in its own target folder (KARTE_UI_TARGET_DIR, else the
# CARGO_TARGET_DIR the caller gives it, as `cargo xtask` does), so it does not
# wait on the workspace build's lock.
set -euo pipefail

dist="${1:?usage: ui/build.sh DIST [--debug]}"
profile="release"
if [[ "${2:-}" == "--debug" ]]; then
  profile="debug"
fi
ui="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${KARTE_UI_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/karte-target/ui}}"

cargo_args=(build --manifest-path "$ui/Cargo.toml" --target wasm32-unknown-unknown)
if [[ "$profile" == "release" ]]; then
  cargo_args+=(--release)
fi
CARGO_TARGET_DIR="$target" cargo "${cargo_args[@]}"

mkdir -p "$dist"
# A release bundle leaves out the function names: a quarter of the file,
# read by debuggers only, and downloaded at every start of the web view.
bindgen_args=(--target web --no-typescript --out-dir "$dist")
if [[ "$profile" == "release" ]]; then
  bindgen_args+=(--remove-name-section)
fi
wasm-bindgen "${bindgen_args[@]}" "$target/wasm32-unknown-unknown/$profile/karte_ui.wasm"
cp "$ui/index.html" "$ui/boot.js" "$ui/style.css" "$ui/disaster.css" "$dist/"
echo "built the UI into $dist ($(du -k "$dist/karte_ui_bg.wasm" | cut -f1) KiB of wasm)"
