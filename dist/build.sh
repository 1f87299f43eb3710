#!/usr/bin/env bash
# dist/build.sh VERSION [TARGET...] — builds nsslint's release archives, as the release workflow does and
# anyone can here:
#
#   dist/out/nsslint-VERSION-TARGET.tar.gz   nsslint-VERSION-TARGET/{nsslint, LICENSE, README.md,
#                                            completions/ (bash, zsh, fish, powershell, elvish), man/nsslint.1}
#   dist/out/SHA256SUMS                      sha256sum of every archive
#
# and prints the lines to add to action/checksums.txt. Default targets: on Linux the static
# x86_64-unknown-linux-musl and aarch64-unknown-linux-musl builds; on macOS x86_64- and aarch64-apple-darwin.
#
# Linux targets are built with cargo-zigbuild and zig from PyPI's `ziglang` as the C compiler and linker
# (ring and zstd have C parts): one tool cross-compiles every Linux target with musl's headers, with no
# cross gcc per architecture; both are installed here when missing, at pinned versions. The binaries use
# mimalloc and word-at-a-time memcmp/memmove in place of musl's (src/main.rs): with them bench/run.sh measures
# the static build within noise of the glibc one (README, "Install").
# Archives are reproducible for a commit: sorted entries, owner 0, the commit's time as every mtime, gzip
# without a name or time.
#
#   DIST_OUT=DIR       where the archives go (default dist/out)
#   NSSLINT_COMMIT     the commit --version names (default: git HEAD)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { printf 'dist/build.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.13.0.post1

version="${1:-}"
[[ -n "$version" ]] || die "usage: dist/build.sh VERSION [TARGET...] (VERSION is Cargo.toml's, e.g. 0.1.0)"
shift
crate_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
[[ "$version" == "$crate_version" ]] \
  || die "VERSION $version is not Cargo.toml's version ($crate_version): bump Cargo.toml first"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  case "$(uname -s)" in
    Linux) targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl) ;;
    Darwin) targets=(x86_64-apple-darwin aarch64-apple-darwin) ;;
    *) die "no default targets on $(uname -s); name them" ;;
  esac
fi
out="${DIST_OUT:-$repo/dist/out}"
mkdir -p "$out"
export NSSLINT_COMMIT="${NSSLINT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}"
epoch="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
target_dir="$repo/target/dist"
# GNU tar for reproducible archives (macOS: Homebrew's gtar when present); sizes and sums portably.
tar=tar
command -v gtar >/dev/null && tar=gtar
gnu_tar=false
"$tar" --version 2>/dev/null | grep -q GNU && gnu_tar=true
size() { wc -c < "$1" | tr -d ' '; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum -- "$@"; else shasum -a 256 -- "$@"; fi; }

# --- tools ----------------------------------------------------------------------------------------------
for target in "${targets[@]}"; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
done
if printf '%s\n' "${targets[@]}" | grep -q -- '-linux-'; then
  command -v cargo-zigbuild >/dev/null || cargo install --locked cargo-zigbuild --version "$ZIGBUILD_VERSION" >&2
  python3 -c "import ziglang" 2>/dev/null || python3 -m pip install --quiet "ziglang==$ZIGLANG_VERSION" >&2
fi

# --- binaries -------------------------------------------------------------------------------------------
for target in "${targets[@]}"; do
  say "building $target"
  start=$SECONDS
  if [[ "$target" == *-linux-* ]]; then
    cargo zigbuild --profile dist --locked --target "$target" --target-dir "$target_dir" >&2
  else
    cargo build --profile dist --locked --target "$target" --target-dir "$target_dir" >&2
  fi
  say "built $target in $((SECONDS - start)) s"
done

# Completions and the man page come from one binary this machine runs (they are the same for every target).
runner=""
for target in "${targets[@]}"; do
  candidate="$target_dir/$target/dist/nsslint"
  if "$candidate" --version >/dev/null 2>&1; then runner="$candidate"; break; fi
done
[[ -n "$runner" ]] || { cargo build --release --locked --quiet >&2; runner="$repo/target/release/nsslint"; }
docs="$(mktemp -d)"
trap 'rm -rf "$docs"' EXIT
mkdir -p "$docs/completions" "$docs/man"
"$runner" completions bash > "$docs/completions/nsslint.bash"
"$runner" completions zsh > "$docs/completions/_nsslint"
"$runner" completions fish > "$docs/completions/nsslint.fish"
"$runner" completions powershell > "$docs/completions/_nsslint.ps1"
"$runner" completions elvish > "$docs/completions/nsslint.elv"
"$runner" man > "$docs/man/nsslint.1"

# --- archives -------------------------------------------------------------------------------------------
archives=()
for target in "${targets[@]}"; do
  name="nsslint-$version-$target"
  stage="$docs/$name"
  mkdir -p "$stage"
  install -m 0755 "$target_dir/$target/dist/nsslint" "$stage/nsslint"
  install -m 0644 LICENSE README.md "$stage/"
  cp -R "$docs/completions" "$docs/man" "$stage/"
  chmod -R u=rwX,go=rX "$stage"
  if $gnu_tar; then
    "$tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$docs" -cf - "$name"
  else
    "$tar" -C "$docs" -cf - "$name"   # not byte-reproducible: no GNU tar here
  fi | gzip -9n > "$out/$name.tar.gz"
  archives+=("$name.tar.gz")
  say "$out/$name.tar.gz: $(size "$out/$name.tar.gz") bytes (binary $(size "$stage/nsslint") bytes)"
done
(cd "$out" && sha256 nsslint-*.tar.gz > SHA256SUMS)
say "$out/SHA256SUMS written; the lines for action/checksums.txt:"
(cd "$out" && sha256 "${archives[@]}")
