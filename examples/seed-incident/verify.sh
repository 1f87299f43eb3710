#!/usr/bin/env bash
# examples/seed-incident/verify.sh — show, with the real Go runtime, what the seed-incident image does.
#
# Unpacks examples/seed-incident.tar (skopeo + umoci), then runs its /usr/local/bin/lookup myhost.test with
# GODEBUG=netdns=2 inside `unshare -m -n`: a private mount namespace where a copy of the image's /etc (with
# its /etc/hosts "10.1.2.3 myhost.test", without nsswitch.conf or resolv.conf) is bind-mounted over /etc,
# and a private network namespace where tests/oracle-src/fakedns.py answers every A query on 127.0.0.1:53
# with 127.9.9.9. The host's /etc and network are never touched: every mount happens inside the namespace.
#
# Expected (Go 1.15 without nsswitch.conf asks DNS first):
#   go package net: hostLookupOrder(myhost.test) = dns,files
#   myhost.test 127.9.9.9                       (the DNS answer wins over /etc/hosts)
# With --contrast it also builds lookup.go with Go 1.19 (tests/fixtures/go-toolchain.sh go1.19) and runs
# it against the same /etc: files,dns and 10.1.2.3.
#
# Needs: root, util-linux unshare, iproute2 ip, python3, skopeo, umoci; strace (optional, cross-check).
# Usage: examples/seed-incident/verify.sh [--contrast] [IMAGE.tar]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/fixtures/lib.sh
source "$HERE/../../tests/fixtures/lib.sh"

CONTRAST=0
if [[ "${1:-}" == --contrast ]]; then CONTRAST=1; shift; fi
TAR="${1:-$NSSLINT_REPO/examples/seed-incident.tar}"
[[ $EUID -eq 0 ]] || die "run as root (unshare -m -n)"
for tool in unshare ip skopeo umoci python3; do command -v "$tool" >/dev/null || die "$tool not found"; done
PY="$(python3 -c 'import sys; print(sys.executable)')"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
skopeo --policy "$WORK/policy.json" copy -q "docker-archive:$TAR" "oci:$WORK/oci:seed"
umoci unpack --image "$WORK/oci:seed" "$WORK/bundle" >/dev/null
ROOTFS="$WORK/bundle/rootfs"
[[ ! -e "$ROOTFS/etc/nsswitch.conf" ]] || die "image has /etc/nsswitch.conf"
grep -q '^10\.1\.2\.3[[:space:]]\+myhost\.test' "$ROOTFS/etc/hosts" || die "image /etc/hosts lacks myhost.test"
cp -a "$ROOTFS/etc" "$WORK/etc"
BINS=("$ROOTFS/usr/local/bin/lookup")

if [[ $CONTRAST -eq 1 ]]; then
  GO="$("$NSSLINT_REPO/tests/fixtures/go-toolchain.sh" go1.19)"
  mkdir -p "$WORK/gopath/src/lookup"
  cp "$HERE/lookup.go" "$WORK/gopath/src/lookup/"
  (cd "$WORK/gopath/src/lookup" &&
    env GOROOT="$(dirname "$(dirname "$GO")")" GOPATH="$WORK/gopath" GOCACHE="$WORK/gocache" HOME="$WORK" \
      CGO_ENABLED=0 GO111MODULE=off GOTOOLCHAIN=local GOPROXY=off \
      "$GO" build -trimpath -o "$WORK/lookup-go1.19" .)
  BINS+=("$WORK/lookup-go1.19")
fi

# Everything below runs in the new namespaces; the mounts vanish with them.
export WORK PY FAKEDNS="$NSSLINT_REPO/tests/oracle-src/fakedns.py"
# shellcheck disable=SC2016  # the script expands its own variables, inside the namespace
unshare -m -n --propagation private bash -euo pipefail -c '
  ip link set lo up
  "$PY" "$FAKEDNS" --ready "$WORK/dns.ready" 2>"$WORK/dns.log" &
  dns=$!
  trap "kill $dns" EXIT
  for _ in $(seq 50); do [[ -e "$WORK/dns.ready" ]] && break; sleep 0.1; done
  [[ -e "$WORK/dns.ready" ]] || { echo "fakedns did not start" >&2; cat "$WORK/dns.log" >&2; exit 1; }
  mount --bind -o ro "$WORK/etc" /etc
  for bin in "$@"; do
    echo "== $bin"
    : >"$WORK/dns.log"
    GODEBUG=netdns=2 "$bin" myhost.test 2>&1 || true
    sed "s/^/   /" "$WORK/dns.log"
    if command -v strace >/dev/null; then
      strace -f -qq -e trace=open,openat,connect -o "$WORK/strace.log" "$bin" myhost.test >/dev/null 2>&1 || true
      echo "   strace: $(grep -oE "\"/etc/hosts\"|sin_port=htons\(53\)" "$WORK/strace.log" | head -1 | sed "s/sin_port=htons(53)/port 53/") first"
    fi
  done
' verify "${BINS[@]}"
