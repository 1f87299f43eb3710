#!/usr/bin/env bash
# action/install.sh — puts the nsslint binary the action runs in place and sets the step output `bin`.
#
# NSSLINT_VERSION        a release version (0.1.0, or v0.1.0) or `source`
# RUNNER_OS, RUNNER_ARCH which release asset to take (Linux|macOS, X64|ARM64), as GitHub sets them
# RUNNER_TEMP            where to unpack (a fresh temporary directory when unset)
#
# A release is installed only when its sha256 is pinned in action/checksums.txt, committed with the action,
# so what runs is exactly what was reviewed when the action's ref was chosen. `source` builds the binary from
# the action's own checkout with `cargo build --release --locked` (needs Rust 1.87+ on the runner).
#
# Overrides, for tests and mirrors:
# NSSLINT_RELEASE_BASE_URL  base of the download URL (default: the project's GitHub releases); the asset is
#                           fetched from <base>/v<version>/nsslint-<version>-<target>.tar.gz; file:// works
# NSSLINT_CHECKSUMS_FILE    the checksum file (default: action/checksums.txt beside this script)
# CARGO_TARGET_DIR          where `source` builds (default: target/ in the action's checkout)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEFAULT_BASE_URL="https://github.com/nsslint/nsslint/releases/download"

version="${NSSLINT_VERSION:-}"
[[ -n "$version" ]] || fail "input 'version' is empty: give a release version (e.g. 0.1.0) or 'source'"
version="${version#v}"

# Each installer sets $bin; no command substitution, so fail's annotation reaches the log, not a variable.
bin=""

install_from_source() {
  local repo target_dir
  repo="$(cd "$NSSLINT_ACTION_DIR/.." && pwd)"
  command -v cargo >/dev/null \
    || fail "version: source builds nsslint with cargo, which is not on PATH; install a Rust toolchain (1.87 or later) first, or use a release version"
  target_dir="${CARGO_TARGET_DIR:-$repo/target}"
  note "building nsslint from $repo (cargo build --release --locked)"
  CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --manifest-path "$repo/Cargo.toml" >&2 \
    || fail "cargo build --release --locked failed in $repo"
  [[ -x "$target_dir/release/nsslint" ]] || fail "cargo build did not produce $target_dir/release/nsslint"
  bin="$target_dir/release/nsslint"
}

# release_target: sets $target, the Rust target triple of the runner's release asset.
target=""
release_target() {
  local os="${RUNNER_OS:-}" arch="${RUNNER_ARCH:-}"
  case "$os/$arch" in
    Linux/X64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64) target=aarch64-unknown-linux-musl ;;
    macOS/X64) target=x86_64-apple-darwin ;;
    macOS/ARM64) target=aarch64-apple-darwin ;;
    *) fail "no nsslint release for RUNNER_OS='$os' RUNNER_ARCH='$arch' (there are Linux and macOS builds for X64 and ARM64); use version: source to build it with cargo" ;;
  esac
}

install_release() {
  local asset checksums expected base url dest archive actual candidate
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] \
    || fail "version '$version' is not a release version (like 0.1.0) nor 'source'"
  release_target
  asset="nsslint-$version-$target.tar.gz"
  checksums="${NSSLINT_CHECKSUMS_FILE:-$NSSLINT_ACTION_DIR/checksums.txt}"
  [[ -r "$checksums" ]] || fail "checksum file $checksums not found"
  # sha256sum's format: "<64 hex>  <file name>" (a '*' before the name marks binary mode); '#' comments.
  expected="$(awk -v want="$asset" '
      /^[[:space:]]*#/ { next }
      { name = $2; sub(/^\*/, "", name) }
      name == want && length($1) == 64 && $1 ~ /^[0-9a-fA-F]+$/ { print tolower($1); exit }
    ' "$checksums")"
  [[ -n "$expected" ]] \
    || fail "nsslint $version has no pinned checksum for $target ($asset is not listed in $checksums). This action installs only releases whose sha256 it carries: pick a version listed there, or set 'version: source' to build nsslint from the action's own source with cargo."
  base="${NSSLINT_RELEASE_BASE_URL:-$DEFAULT_BASE_URL}"
  url="${base%/}/v$version/$asset"
  dest="${RUNNER_TEMP:-$(mktemp -d)}/nsslint/$version-$target"
  rm -rf "$dest"
  mkdir -p "$dest"
  archive="$dest/$asset"
  note "downloading $url"
  curl --fail --silent --show-error --location --retry 3 --proto '=https,file' --output "$archive" "$url" \
    || fail "could not download $url"
  actual="$(sha256_of "$archive")" || fail "neither sha256sum nor shasum is installed: cannot verify $asset"
  if [[ "$actual" != "$expected" ]]; then
    rm -f "$archive"
    fail "checksum mismatch for $asset from $url: expected sha256 $expected (pinned in $checksums), got $actual. Not installing it."
  fi
  note "sha256 $actual verified"
  tar -xzf "$archive" -C "$dest"
  rm -f "$archive"
  # The release tarball holds nsslint-<version>-<target>/nsslint (plus README and LICENSE); a bare nsslint
  # at the top level is accepted too.
  for candidate in "$dest/nsslint-$version-$target/nsslint" "$dest/nsslint"; do
    if [[ -f "$candidate" ]]; then
      chmod +x "$candidate"
      bin="$candidate"
      return
    fi
  done
  fail "$asset holds no nsslint binary (expected nsslint-$version-$target/nsslint)"
}

if [[ "$version" == source ]]; then
  install_from_source
else
  install_release
fi
"$bin" --version >&2 || fail "$bin does not run on this runner"
set_output bin "$bin"
if [[ -n "${GITHUB_PATH:-}" ]]; then
  dirname "$bin" >>"$GITHUB_PATH"   # later steps of the job can call nsslint too
fi
