#!/usr/bin/env bash
# dist/check.sh VERSION — checks what dist/build.sh and dist/image.sh made, as a user would meet it
# (.ci/run runs build, image and this when NSSLINT_DIST=1):
#   1. SHA256SUMS verifies every archive; each archive holds the binary, LICENSE, README.md, the
#      completions for every shell and the man page, none empty;
#   2. the x86_64 binary is static and scans the example image with the exit code and report of the
#      development build; the aarch64 binary does the same under qemu-user (qemu-aarch64), same output;
#   3. the README's install section (the block between its install markers) downloads, verifies and installs
#      the release from a local directory (file://) on a PATH without cargo; the Action's install step
#      (action/install.sh, as action.yml runs it) installs it with the checksums of this run (a tampered one
#      is refused); both installed binaries scan the example;
#   4. the container image (when dist/image.sh made one) runs under podman on the example mounted read-only
#      with the same output, as a non-root user, and nsslint scans its own image (no finding).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { printf 'dist/check.sh: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
version="${1:-}"
[[ -n "$version" ]] || die "usage: dist/check.sh VERSION"
out="${DIST_OUT:-$repo/dist/out}"
example="$repo/examples/seed-incident.tar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# What the development build says about the example: the reference output.
cargo build --release --locked --quiet
reference="$work/reference.txt"
set +e; "$repo/target/release/nsslint" scan "$example" > "$reference"; want=$?; set -e
[[ $want == 1 ]] || die "the development build exits $want on the example, not 1"
same() { # label command...: the command's output and exit code must be the reference's
  local label="$1"; shift
  local got=0
  "$@" > "$work/got.txt" || got=$?
  [[ $got == "$want" ]] || die "$label: exit $got, want $want"
  # The input is named as it was given; compare the rest.
  diff <(sed 's#[^ ]*seed-incident.tar#EXAMPLE#' "$reference") <(sed 's#[^ ]*seed-incident.tar#EXAMPLE#' "$work/got.txt") >&2 \
    || die "$label: the report differs from the development build's"
  say "$label: same report, exit $got"
}

# 1. checksums and contents
(cd "$out" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  name="nsslint-$version-$target"
  archive="$out/$name.tar.gz"
  [[ -f "$archive" ]] || die "no $archive"
  mkdir -p "$work/$target"
  tar -xzf "$archive" -C "$work/$target"
  for file in nsslint LICENSE README.md man/nsslint.1 completions/nsslint.bash completions/_nsslint \
      completions/nsslint.fish completions/_nsslint.ps1 completions/nsslint.elv; do
    [[ -s "$work/$target/$name/$file" ]] || die "$archive has no (or an empty) $name/$file"
  done
  say "$archive: $(stat -c %s "$archive") bytes, binary $(stat -c %s "$work/$target/$name/nsslint") bytes"
done

# 2. the binaries
x86="$work/x86_64-unknown-linux-musl/nsslint-$version-x86_64-unknown-linux-musl/nsslint"
arm="$work/aarch64-unknown-linux-musl/nsslint-$version-aarch64-unknown-linux-musl/nsslint"
file "$x86" | grep -q "statically linked" || die "$x86 is not statically linked: $(file "$x86")"
file "$arm" | grep -q "ARM aarch64.*statically linked" || die "$arm is not a static aarch64 binary: $(file "$arm")"
"$x86" --version | grep -q "^nsslint $version (commit [0-9a-f]\{12\}, x86_64-unknown-linux-musl)$" \
  || die "--version says: $("$x86" --version)"
same "x86_64 binary" "$x86" scan "$example"
command -v qemu-aarch64 >/dev/null || die "needs qemu-aarch64 (apt-get install qemu-user)"
same "aarch64 binary under qemu-aarch64" qemu-aarch64 "$arm" scan "$example"

# 3. the README's install section, then the Action's install step, against this release
release="$work/release/v$version"
mkdir -p "$release"
cp "$out"/*.tar.gz "$out/SHA256SUMS" "$release/"
# The block between the README's install markers, as written but for where it downloads from, run in an empty
# directory with a fresh HOME and a PATH without cargo or rustc: a user's machine with no Rust toolchain.
block="$work/readme-install.sh"
awk '/<!-- install:begin/ { on = 1; next } /<!-- install:end/ { on = 0 } on && !/^```/' README.md \
  | sed "s#^base=.*#base=file://$release#" > "$block"
if ! grep -q '^curl ' "$block" || ! grep -q 'sha256sum --check' "$block"; then
  die "README.md has no install block: $(cat "$block")"
fi
mkdir -p "$work/user/home" "$work/user/cwd"
bare_path=/usr/local/bin:/usr/bin:/bin
if env -i PATH="$bare_path" bash -c 'command -v cargo || command -v rustc' >/dev/null; then
  die "cargo or rustc is on $bare_path: the README install would not show a machine without Rust"
fi
(cd "$work/user/cwd" && env -i PATH="$bare_path" HOME="$work/user/home" bash -euo pipefail "$block") > "$work/user/log" 2>&1 \
  || die "the README's install section failed: $(cat "$work/user/log")"
grep -q "^nsslint-$version-x86_64-unknown-linux-musl.tar.gz: OK$" "$work/user/log" \
  || die "the README's install section verified no checksum: $(cat "$work/user/log")"
same "the README's install section (no Rust on PATH)" "$work/user/home/.local/bin/nsslint" scan "$example"
grep -- '-linux-musl.tar.gz$' "$out/SHA256SUMS" > "$work/checksums.txt"
start=$(date +%s%N)
env -i PATH="$PATH" HOME="$work" NSSLINT_VERSION="$version" RUNNER_OS=Linux RUNNER_ARCH=X64 \
  RUNNER_TEMP="$work/runner-temp" GITHUB_OUTPUT="$work/github-output" \
  NSSLINT_RELEASE_BASE_URL="file://$work/release" NSSLINT_CHECKSUMS_FILE="$work/checksums.txt" \
  bash action/install.sh >&2 || die "action/install.sh refused the release"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
installed="$(sed -n 's/^bin=//p' "$work/github-output")"
[[ -x "$installed" ]] || die "action/install.sh set no runnable bin (${installed:-none})"
same "the Action's install ($elapsed_ms ms)" "$installed" scan "$example"
# A tampered checksum is refused.
sed 's/^./0/' "$work/checksums.txt" > "$work/bad-checksums.txt"
if env -i PATH="$PATH" HOME="$work" NSSLINT_VERSION="$version" RUNNER_OS=Linux RUNNER_ARCH=X64 \
    RUNNER_TEMP="$work/runner-temp2" GITHUB_OUTPUT="$work/github-output2" \
    NSSLINT_RELEASE_BASE_URL="file://$work/release" NSSLINT_CHECKSUMS_FILE="$work/bad-checksums.txt" \
    bash action/install.sh >/dev/null 2>&1; then
  die "action/install.sh installed an archive whose checksum does not match"
fi
say "the Action's install refuses a wrong checksum"

# 4. the container image
image="$out/nsslint-$version-image.tar"
if [[ -f "$image" ]]; then
  command -v podman >/dev/null || die "needs podman (apt-get install podman)"
  store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
  podman "${store[@]}" load -q -i "$image" >/dev/null 2>&1 || true
  podman "${store[@]}" pull -q --arch amd64 "oci-archive:$image" >/dev/null
  id="$(podman "${store[@]}" images -q | head -1)"
  [[ -n "$id" ]] || die "podman could not load $image"
  user="$(podman "${store[@]}" image inspect --format '{{.Config.User}}' "$id")"
  [[ "$user" == 65532:65532 ]] || die "the image runs as '$user', not 65532:65532"
  # Limits at or below the caller's (a root without CAP_SYS_RESOURCE, as in some CI sandboxes, may not raise
  # them to podman's defaults), and runc where it is installed (crun refuses hybrid cgroup hierarchies).
  run=(run --rm --network none --read-only --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
  if command -v runc >/dev/null; then run+=(--runtime runc); fi
  same "podman run of the image (amd64, read-only)" podman "${store[@]}" "${run[@]}" \
    -v "$repo/examples:/in:ro" "$id" scan /in/seed-incident.tar
  # What the image holds, as podman's export of a container lists it.
  podman "${store[@]}" create --name nsslint-check "$id" >/dev/null
  podman "${store[@]}" export nsslint-check | tar -tvf - > "$work/files.txt"
  podman "${store[@]}" rm nsslint-check >/dev/null
  grep -q '^drwxrwxrwt .* tmp/\?$' "$work/files.txt" || die "the image has no /tmp of mode 1777: $(cat "$work/files.txt")"
  grep -q '^-r[w-]xr-xr-x .* nsslint$' "$work/files.txt" || die "the image's /nsslint is not executable by all"
  for label in "source=https://github.com/nsslint/nsslint" "version=$version" "licenses=Apache-2.0"; do
    value="$(podman "${store[@]}" image inspect --format "{{index .Labels \"org.opencontainers.image.${label%%=*}\"}}" "$id")"
    [[ "$value" == "${label#*=}" ]] || die "the image's label org.opencontainers.image.${label%%=*} is '$value', not '${label#*=}'"
  done
  say "the image holds $(wc -l < "$work/files.txt") entries, runs as $user, labelled source, version and licenses"
  index="$(skopeo inspect --raw "oci-archive:$image" 2>/dev/null || true)"
  for arch in amd64 arm64; do
    grep -q "\"architecture\":\"$arch\"" <<<"$index" || die "the image index has no $arch image: $index"
  done
  "$x86" scan --all-platforms "oci-archive:$image" > "$work/self.txt" \
    || die "nsslint scanning its own image: $(cat "$work/self.txt")"
  say "nsslint's own image: $(grep -c '0 error(s), 0 warning(s)' "$work/self.txt") platform(s) clean"
fi
say "all checks passed"
