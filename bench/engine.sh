#!/usr/bin/env bash
# bench/engine.sh — the cost of reading an image from a local engine: `nsslint scan docker-daemon:IMAGE`
# (inspect, export spooled to an unlinked temporary file, scan) against what a user did before it existed,
# `podman save -o app.tar IMAGE` (or `docker save`) then `nsslint scan app.tar`, on the same engine and image.
# Prints wall time (best of REPEAT) and peak RSS (of the largest process) as a Markdown table.
#
#   bash bench/engine.sh                 Podman's API service, an image of about 500 MB
#   ENGINE=docker bash bench/engine.sh   a dockerd of its own (Debian docker.io), the same image
#   SIZE_MB=100 REPEAT=5 bash bench/engine.sh
#
# The engine, its store and the image live in a temporary directory (vfs storage), removed at the end. The
# image: musl's loader, two real esbuild releases (Go 1.15 and 1.23; fixtures from tests/fixtures/fetch.sh)
# and SIZE_MB of incompressible data in four layers, built with buildah (Podman) or docker build.
# Needs: podman + buildah (or dockerd + docker), GNU time (/usr/bin/time), the fixtures.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
engine="${ENGINE:-podman}"
size_mb="${SIZE_MB:-480}"
repeat="${REPEAT:-3}"
fixtures="${NSSLINT_FIXTURES:-$repo/target/nsslint-fixtures}"
say() { printf 'bench/engine: %s\n' "$*" >&2; }
[[ -x /usr/bin/time ]] || { say "needs GNU time at /usr/bin/time (apt-get install time)"; exit 1; }
[[ -f "$fixtures/esbuild-0.8.30/esbuild" ]] || NSSLINT_FIXTURES="$fixtures" bash tests/fixtures/fetch.sh >&2

cargo build --release --locked --quiet
nsslint="$repo/target/release/nsslint"
work="$(mktemp -d "${TMPDIR:-/tmp}/nsslint-bench-engine.XXXXXX")"
daemon=""
cleanup() {
  [[ -z "$daemon" ]] || { kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# --- the image's files --------------------------------------------------------------------------------------
context="$work/context"
mkdir -p "$context"
cp "$fixtures/debian/musl/lib/ld-musl-x86_64.so.1" "$context/"
cp "$fixtures/esbuild-0.8.30/esbuild" "$context/old"
cp "$fixtures/esbuild-0.26.0/esbuild" "$context/new"
part_mb=$(( size_mb / 4 ))
for i in 1 2 3 4; do
  head -c "$(( part_mb * 1024 * 1024 ))" /dev/urandom > "$context/data$i"
done
cat > "$context/Dockerfile" <<'EOF'
FROM scratch
COPY ld-musl-x86_64.so.1 /lib/ld-musl-x86_64.so.1
COPY data1 /srv/data1
COPY data2 /srv/data2
COPY data3 /srv/data3
COPY data4 /srv/data4
COPY old /usr/local/bin/esbuild-old
COPY new /usr/local/bin/esbuild-new
EOF

# --- the engine ----------------------------------------------------------------------------------------------
socket="$work/engine.sock"
case "$engine" in
  podman)
    store=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
    podman "${store[@]}" system service --time=0 "unix://$socket" 2>"$work/engine.log" &
    daemon=$!
    save=(podman "${store[@]}" save -q -o)
    build() { buildah "${store[@]}" bud -q -t "$1" "$context" >/dev/null; }
    ;;
  docker)
    dockerd --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
      --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
      -H "unix://$socket" 2>"$work/engine.log" &
    daemon=$!
    save=(docker save -o)
    build() { DOCKER_HOST="unix://$socket" DOCKER_BUILDKIT=0 docker build -q -t "$1" "$context" >/dev/null; }
    ;;
  *) say "ENGINE is podman or docker"; exit 2 ;;
esac
for _ in $(seq 300); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || { say "the engine did not start:"; cat "$work/engine.log" >&2; exit 1; }
say "building the image ($size_mb MB of data) with $engine"
build bench/engine:latest
rm -f "$context"/data*

# --- measuring -----------------------------------------------------------------------------------------------
export DOCKER_HOST="unix://$socket"
measure() { # name command...: appends "wall rss" of one run to $work/name
  local name="$1"; shift
  /usr/bin/time -q -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    local code=$?
    [[ $code -le 1 ]] || { say "$name failed ($code):"; cat "$work/stderr" >&2; exit 1; }
  }
  cat "$work/time" >> "$work/$name"
}
for _ in $(seq "$repeat"); do
  measure engine "$nsslint" scan docker-daemon:bench/engine:latest
  rm -f "$work/app.tar"
  measure save "${save[@]}" "$work/app.tar" bench/engine:latest
  measure file "$nsslint" scan "$work/app.tar"
done
bytes=$(stat -c %s "$work/app.tar")
best() { sort -n "$work/$1" | head -1 | cut -d' ' -f1; }
peak() { cut -d' ' -f2 "$work/$1" | sort -n | tail -1; }
engine_wall=$(best engine); save_wall=$(best save); file_wall=$(best file)
both_wall=$(awk -v a="$save_wall" -v b="$file_wall" 'BEGIN { printf "%.2f", a + b }')
both_rss=$(( $(peak save) > $(peak file) ? $(peak save) : $(peak file) ))
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
echo
echo "Engine: $engine; image: $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB exported; best of $repeat; $(nproc) cores"
echo
echo "| pipeline | wall (s) | peak RSS (MiB) |"
echo "|---|---|---|"
echo "| \`nsslint scan docker-daemon:IMAGE\` | $engine_wall | $(mib "$(peak engine)") |"
echo "| \`$engine save\` + \`nsslint scan FILE\` | $both_wall ($save_wall + $file_wall) | $(mib "$both_rss") |"
