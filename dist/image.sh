#!/usr/bin/env bash
# dist/image.sh VERSION — the container image of nsslint (Containerfile), built with buildah from the Linux
# archives dist/build.sh left in dist/out: one image per architecture (amd64, arm64) added to one manifest
# list, written as dist/out/nsslint-VERSION-image.tar (an OCI archive of the index; `skopeo copy --all
# oci-archive:... docker://ghcr.io/...` pushes it) and kept in buildah's store as nsslint:VERSION-ARCH.
# No base image is pulled: the final image is FROM scratch, and no RUN step needs an emulator.
#
#   DIST_OUT=DIR    where the archives are and the image goes (default dist/out)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { printf 'dist/image.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
version="${1:-}"
[[ -n "$version" ]] || die "usage: dist/image.sh VERSION (after dist/build.sh VERSION)"
out="${DIST_OUT:-$repo/dist/out}"
command -v buildah >/dev/null || die "needs buildah (apt-get install buildah)"
ca=/etc/ssl/certs/ca-certificates.crt
[[ -s "$ca" ]] || die "needs the CA bundle $ca (apt-get install ca-certificates)"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
# rootfs/: every file of the image but the binary, copied as one tree so that modes hold (/tmp is 1777:
# reading docker-daemon: spools the engine's export to an unlinked file in TMPDIR).
root="$context/rootfs"
mkdir -p "$root/etc/ssl/certs" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/:/sbin/nologin\nnsslint:x:65532:65532:nsslint:/:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnsslint:x:65532:\n' > "$root/etc/group"
chmod 0644 "$root/etc/ssl/certs/ca-certificates.crt" "$root/etc/passwd" "$root/etc/group"
archs=()
for pair in amd64:x86_64-unknown-linux-musl arm64:aarch64-unknown-linux-musl; do
  arch="${pair%%:*}" target="${pair#*:}"
  archive="$out/nsslint-$version-$target.tar.gz"
  [[ -f "$archive" ]] || { say "no $archive: skipping $arch"; continue; }
  mkdir -p "$context/bin/$arch"
  tar -xzf "$archive" -C "$context/bin/$arch" --strip-components=1 "nsslint-$version-$target/nsslint"
  archs+=("$arch")
done
[[ ${#archs[@]} -gt 0 ]] || die "no Linux archive of $version in $out: run dist/build.sh $version first"

list="nsslint:$version"
buildah manifest rm "$list" >/dev/null 2>&1 || true
buildah manifest create "$list" >/dev/null
for arch in "${archs[@]}"; do
  buildah build --quiet --platform "linux/$arch" --build-arg "VERSION=$version" \
    --build-arg "REVISION=$revision" --timestamp 0 -f Containerfile -t "nsslint:$version-$arch" "$context" >/dev/null
  buildah manifest add "$list" "nsslint:$version-$arch" >/dev/null
  say "built nsslint:$version-$arch"
done
rm -f "$out/nsslint-$version-image.tar"
buildah manifest push --quiet --all "$list" "oci-archive:$out/nsslint-$version-image.tar:$version"
say "$out/nsslint-$version-image.tar: $(stat -c %s "$out/nsslint-$version-image.tar") bytes (${archs[*]})"
