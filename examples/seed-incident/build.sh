#!/usr/bin/env bash
# examples/seed-incident/build.sh — regenerate examples/seed-incident.tar, nsslint's seed incident as an image.
#
# What it makes
#   examples/seed-incident.tar, a docker-archive (`docker load`-able, what `docker save` writes) tagged
#   nsslint/seed-incident:1.0, linux/amd64, two layers:
#     1. a musl base in an Alpine-like layout: /lib/ld-musl-x86_64.so.1 (the real musl libc, a regular file),
#        /lib/libc.musl-x86_64.so.1 -> ld-musl-x86_64.so.1, /etc/hosts with "10.1.2.3 myhost.test",
#        /etc/os-release saying this is a demo, /lib/apk/db/installed with one stanza for musl,
#        and NO /etc/nsswitch.conf (Alpine ships none);
#     2. /usr/local/bin/lookup: examples/seed-incident/lookup.go built with Go 1.15.15, CGO_ENABLED=0.
#   Go before 1.16 treats a missing /etc/nsswitch.conf as "hosts: dns files": the binary asks DNS before
#   /etc/hosts (GODEBUG=netdns=2 prints "hostLookupOrder(myhost.test) = dns,files"), while every musl
#   program in the same image reads /etc/hosts first. That mismatch is the incident nsslint exists for.
#
#   THIS IS A DEMO LAYOUT, NOT ALPINE. The libc file comes from Debian bookworm's `musl` package (1.2.3-1),
#   laid out where Alpine puts it; the apk database stanza describes exactly that file with its real upstream
#   version (1.2.3) and an "-r0" packaging revision because apk versions need one; it has no checksums
#   because no apk ever produced it. No busybox, no apk-tools, no /bin/sh: the image only runs `lookup`.
#
# What it needs
#   root is not needed to build (it is to verify, see verify.sh); bash, umoci and skopeo (Debian packages),
#   apt-get + dpkg, pip (tests/fixtures/go-toolchain.sh), network access to the Debian mirror this machine's
#   apt sources already use (read at run time) for bullseye golang-1.15-go/-src and bookworm musl.
#
# How long it takes
#   ~20 s cold (toolchain download + unpack), ~5 s warm. Downloads are cached under
#   ${NSSLINT_FIXTURES:-target/nsslint-fixtures} (see tests/fixtures/lib.sh).
#
# Reproducibility
#   File mtimes, image/history "created" times are SOURCE_DATE_EPOCH (default 1628121600 =
#   2021-08-05T00:00:00Z, the day Go 1.15.15 was released); owners are 0:0. Two runs on this machine give
#   the same layer and config digests (build.sh prints them; compare). What is not pinned: the Debian package
#   versions come from the mirror of the day (bullseye golang-1.15 1.15.15-1~deb11u4 and bookworm musl
#   1.2.3-1 at the time of writing; a new Debian revision changes the bytes), and umoci/skopeo versions
#   decide tar and JSON details (umoci 0.4.7, skopeo 1.9.3 here). build.sh fails if the Go or musl version
#   is not the expected one rather than silently making a different incident.
#
# Usage: examples/seed-incident/build.sh [OUTPUT.tar]   (default: examples/seed-incident.tar)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/fixtures/lib.sh
source "$HERE/../../tests/fixtures/lib.sh"

OUT="${1:-$NSSLINT_REPO/examples/seed-incident.tar}"
TAG="nsslint/seed-incident:1.0"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1628121600}"
T="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
export TZ=UTC LC_ALL=C

for tool in umoci skopeo dpkg apt-get; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install umoci skopeo)"
done
cmp -s "$HERE/lookup.go" "$NSSLINT_REPO/tests/oracle-src/lookup.go" \
  || die "examples/seed-incident/lookup.go and tests/oracle-src/lookup.go differ; keep them identical"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --- 1. the Go 1.15 binary ----------------------------------------------------------------------------------
GO="$("$NSSLINT_REPO/tests/fixtures/go-toolchain.sh" go1.15)"
GOROOT="$(dirname "$(dirname "$GO")")"
govers="$(GOROOT="$GOROOT" "$GO" version)"
[[ "$govers" == "go version go1.15.15 linux/amd64" ]] || die "expected go1.15.15, got: $govers"
mkdir -p "$WORK/gopath/src/lookup"
cp "$HERE/lookup.go" "$WORK/gopath/src/lookup/lookup.go"
note "building lookup with $govers"
# GOPATH mode (GO111MODULE=off): no go.mod, no module download; GOFLAGS/GOPROXY/GOTOOLCHAIN keep newer
# go commands from reaching out as well (1.15 ignores GOTOOLCHAIN). -trimpath drops $WORK from the binary.
# GOROOT_FINAL is Debian's compiled-in value: it feeds the link action ID (first part of the Go build ID),
# so pinning it makes the binary independent of where the fixtures directory is.
(cd "$WORK/gopath/src/lookup" &&
  env -u GOENV GOROOT="$GOROOT" GOROOT_FINAL=/usr/lib/go-1.15 GOPATH="$WORK/gopath" GOCACHE="$WORK/gocache" HOME="$WORK" \
    CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS=-mod=mod GO111MODULE=off GOTOOLCHAIN=local GOPROXY=off \
    "$GO" build -trimpath -ldflags='-s -w' -o "$WORK/lookup" .) || die "go build failed"
strings "$WORK/lookup" | grep -c /etc/nsswitch.conf >/dev/null || die "lookup does not link Go's resolver?"

# --- 2. the musl base filesystem (demo layout, see the header) -----------------------------------------------
apt_private_download bookworm "$WORK/debs" musl
MUSL_DEB="$(ls "$WORK"/debs/musl_*.deb)"
MUSL_DEBVER="$(dpkg-deb -f "$MUSL_DEB" Version)"       # 1.2.3-1
MUSL_VER="${MUSL_DEBVER%-*}"                            # 1.2.3 (upstream)
[[ "$MUSL_VER" == 1.2.3 ]] || die "expected Debian musl 1.2.3-*, got $MUSL_DEBVER"
dpkg -x "$MUSL_DEB" "$WORK/musl"
link="$(readlink "$WORK/musl/lib/ld-musl-x86_64.so.1")" || die "no lib/ld-musl-x86_64.so.1 link in $(basename "$MUSL_DEB")"
case "$link" in /*) MUSL_LIBC="$WORK/musl$link" ;; *) MUSL_LIBC="$WORK/musl/lib/$link" ;; esac
[[ -f "$MUSL_LIBC" ]] || die "no musl libc behind lib/ld-musl-x86_64.so.1 in $(basename "$MUSL_DEB")"
MUSL_SIZE="$(stat -c %s "$MUSL_LIBC")"

# --- 3. the image, with umoci ---------------------------------------------------------------------------------
OCI="$WORK/oci"
IMG="$OCI:seed-incident"
B="$WORK/bundle"
R="$B/rootfs"
umoci init --layout "$OCI"
umoci new --image "$IMG"
umoci config --image "$IMG" --no-history --created "$T" --os linux --architecture amd64 \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umoci unpack --image "$IMG" "$B" >/dev/null

# Normalise metadata of everything under $1 so layer tars do not depend on when or how they were made.
normalise() {
  find "$1" -exec chown -h 0:0 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# Layer 1: musl base.
install -d -m 0755 "$R"/{etc,lib,lib/apk/db,usr,usr/bin,usr/lib,usr/local,usr/local/bin,bin,sbin,tmp,root}
chmod 1777 "$R/tmp"; chmod 0700 "$R/root"
install -m 0755 "$MUSL_LIBC" "$R/lib/ld-musl-x86_64.so.1"
ln -s ld-musl-x86_64.so.1 "$R/lib/libc.musl-x86_64.so.1"
printf '127.0.0.1\tlocalhost localhost.localdomain\n::1\t\tlocalhost localhost.localdomain\n10.1.2.3\tmyhost.test\n' \
  >"$R/etc/hosts"
cat >"$R/etc/os-release" <<EOF
NAME="nsslint seed-incident demo"
ID=nsslint-demo
ID_LIKE=alpine
VERSION_ID=1.0
PRETTY_NAME="nsslint seed-incident demo (musl $MUSL_VER in an Alpine-like layout; not Alpine)"
EOF
# One apk-style stanza for the one package there is. Fields per apk's installed-db format; no C:/Z:
# checksums (no apk produced this), T: says where the file really comes from.
cat >"$R/lib/apk/db/installed" <<EOF
P:musl
V:$MUSL_VER-r0
A:x86_64
S:$MUSL_SIZE
I:$MUSL_SIZE
T:demo: musl libc $MUSL_VER from Debian's musl_${MUSL_DEBVER}_amd64.deb, laid out like Alpine
U:https://musl.libc.org/
L:MIT
o:musl
t:$SOURCE_DATE_EPOCH
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
R:libc.musl-x86_64.so.1
a:0:0:777

EOF
chmod 0644 "$R/etc/hosts" "$R/etc/os-release" "$R/lib/apk/db/installed"
[[ ! -e "$R/etc/nsswitch.conf" ]] || die "the base must not have /etc/nsswitch.conf"
normalise "$R"
umoci repack --refresh-bundle --image "$IMG" \
  --history.created "$T" --history.created_by "ADD musl-base / # demo musl $MUSL_VER base, Alpine-like layout" \
  --history.comment "nsslint examples/seed-incident/build.sh" "$B"

# Layer 2: the application.
install -m 0755 "$WORK/lookup" "$R/usr/local/bin/lookup"
normalise "$R"
umoci repack --refresh-bundle --image "$IMG" \
  --history.created "$T" --history.created_by "COPY lookup /usr/local/bin/lookup # go1.15.15 CGO_ENABLED=0" \
  --history.comment "nsslint examples/seed-incident/build.sh" "$B"

umoci config --image "$IMG" --no-history --created "$T" \
  --config.entrypoint /usr/local/bin/lookup --config.cmd myhost.test
umoci gc --layout "$OCI"

# --- 4. docker-archive ----------------------------------------------------------------------------------------
cat >"$WORK/policy.json" <<'EOF'
{"default": [{"type": "insecureAcceptAnything"}]}
EOF
rm -f "$OUT.tmp"
skopeo --policy "$WORK/policy.json" copy -q "oci:$IMG" "docker-archive:$OUT.tmp:$TAG"
mv -f "$OUT.tmp" "$OUT"

note "wrote $OUT ($(stat -c %s "$OUT") bytes)"
tar -xOf "$OUT" manifest.json | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]
print("  tags:   ", " ".join(m["RepoTags"]))
print("  config: ", m["Config"])
for i, l in enumerate(m["Layers"], 1):
    print("  layer %d: %s" % (i, l))
' >&2
