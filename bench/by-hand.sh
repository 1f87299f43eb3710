#!/usr/bin/env bash
# bench/by-hand.sh WORK LAYOUT TAG... — the do-it-by-hand pipeline bench/run.sh times, image after image:
# the image's layers extracted in order with tar -x (GNU tar tells gzip and zstd by their magic) into
# WORK/TAG, `go version -m` over that directory (Go 1.19's `go version` walks directories itself; it has no
# -r flag; GO and GOROOT set by the caller), then the directory removed. Whiteouts are not applied (the
# benchmark images have none), so this is, if anything, a little faster than a faithful unpack.
set -euo pipefail
work="$1" layout="$2"
shift 2
for tag in "$@"; do
  mkdir -p "$work/$tag"
  while IFS=$'\t' read -r t blob; do
    [[ "$t" == "$tag" ]] && tar -xf "$layout/$blob" -C "$work/$tag"
  done <"$layout/layers.tsv"
  "$GO" version -m "$work/$tag" >/dev/null || true
  rm -rf "${work:?}/$tag"
done
