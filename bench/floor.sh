#!/usr/bin/env bash
# bench/floor.sh MODE DECOMPRESSOR CORES BLOB... — the floor bench/run.sh times: every blob decompressed to
# /dev/null with `DECOMPRESSOR -dc` (gzip or zstd).
#   serial     one after another
#   parallel   spread over CORES with xargs -P
#   verified   as parallel, each blob's SHA-256 computed (openssl dgst: SHA-NI where the CPU has it; coreutils'
#              sha256sum does not use it) while it is decompressed: what a scan that checks digests, as
#              nsslint does, can at best reach (context, not a target)
set -euo pipefail
mode="$1" dec="$2" cores="$3"
shift 3
case "$mode" in
  serial) for f; do "$dec" -dc -q "$f" >/dev/null; done ;;
  parallel) printf '%s\0' "$@" | xargs -0 -n 1 -P "$cores" "$dec" -dc -q >/dev/null ;;
  verified)
    # shellcheck disable=SC2016  # expanded by the inner shell
    printf '%s\0' "$@" |
      xargs -0 -n 1 -P "$cores" sh -c 'openssl dgst -sha256 "$1" >/dev/null & "$0" -dc -q "$1" >/dev/null; wait' "$dec" ;;
  *) echo "floor.sh: unknown mode $mode" >&2; exit 2 ;;
esac
