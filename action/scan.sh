#!/usr/bin/env bash
# action/scan.sh — runs `nsslint scan` for the action and sets its outputs `sarif-file` and `findings-count`.
#
# NSSLINT_BIN          the binary (install.sh's output `bin`; default: nsslint on PATH)
# INPUT_IMAGE          one image or several, one a line: an image the runner's Docker engine built
#                      (docker-daemon:NAME:TAG, or a bare NAME:TAG), a docker save tar,
#                      docker-archive:PATH[:NAME:TAG], oci:DIR[:REF], oci-archive:PATH[:REF] or dir:DIR
#                      (may be empty when INPUT_MANIFESTS is given)
# INPUT_MANIFESTS      optional: Kubernetes manifest files or directories, one a line (--k8s each)
# INPUT_DOCKERFILE     optional: map findings to this Dockerfile's lines (--dockerfile)
# INPUT_FORMAT         sarif (default), json or text
# INPUT_OUTPUT         the report file (default nsslint.sarif)
# INPUT_FAIL_ON        error, warning, note or never: what makes the step fail (empty: the config file's
#                      fail-on, else error)
# INPUT_PLATFORM       optional: os/arch[/variant] of a multi-platform image
# INPUT_CONFIG         optional: the config file (nsslint reads .nsslint.yaml of the working directory when
#                      this is empty and that file exists)
# GITHUB_STEP_SUMMARY  when set, the markdown table of findings is appended to it (it is printed to the log
#                      either way)
#
# Exit status: nsslint's own: 0 clean, 1 findings at or above INPUT_FAIL_ON, 2 usage, 3 image unreadable.
# The outputs are set before exiting, so a later `if: always()` step can upload the SARIF of a failed scan.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="${NSSLINT_BIN:-nsslint}"
format="${INPUT_FORMAT:-sarif}"
output="${INPUT_OUTPUT:-nsslint.sarif}"
fail_on="${INPUT_FAIL_ON:-}"

case "$format" in
  sarif | json | text) ;;
  *) fail "input 'format' is '$format'; it must be sarif, json or text" ;;
esac
[[ "$output" != *$'\n'* ]] || fail "input 'output' must be one path"

# lines_of TEXT: its non-blank lines, trimmed, one per line of output.
lines_of() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line#"${line%%[![:space:]]*}"}"   # trim leading
    line="${line%"${line##*[![:space:]]}"}"   # and trailing blanks
    if [[ -n "$line" ]]; then printf '%s\n' "$line"; fi
  done <<<"$1"
}
images=()
while IFS= read -r line; do images+=("$line"); done < <(lines_of "${INPUT_IMAGE:-}")
manifests=()
while IFS= read -r line; do manifests+=("$line"); done < <(lines_of "${INPUT_MANIFESTS:-}")
[[ ${#images[@]} -gt 0 || ${#manifests[@]} -gt 0 ]] \
  || fail "input 'image' is empty: give the image to scan (e.g. docker-daemon:app:ci, or a 'docker save' tarball), one per line, or 'manifests'"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
summary="$work/summary.md"

# What changes what is found; shared by the scan and the counting run of the text format.
common=()
[[ -z "${INPUT_DOCKERFILE:-}" ]] || common+=(--dockerfile "$INPUT_DOCKERFILE")
[[ -z "${INPUT_PLATFORM:-}" ]] || common+=(--platform "$INPUT_PLATFORM")
[[ -z "${INPUT_CONFIG:-}" ]] || common+=(--config "$INPUT_CONFIG")
for manifest in ${manifests[@]+"${manifests[@]}"}; do common+=(--k8s "$manifest"); done
args=(scan --format "$format" --output "$output" --markdown-summary "$summary")
# Only when given: otherwise the config file's fail-on applies (the command line would override it).
[[ -z "$fail_on" ]] || args+=(--fail-on "$fail_on")
args+=(${common[@]+"${common[@]}"} -- ${images[@]+"${images[@]}"})   # (the + form: bash 3.2 on macOS, set -u)

mkdir -p "$(dirname -- "$output")"
note "running: $bin ${args[*]}"
status=0
"$bin" "${args[@]}" || status=$?

# count_findings FILE FORMAT: the findings a report shows (for SARIF, results without an accepted suppression).
count_findings() {
  if command -v python3 >/dev/null; then
    python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
if sys.argv[2] == "sarif":
    def suppressed(result):
        return any(s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or [])
    print(sum(1 for run in doc.get("runs") or [] for r in run.get("results") or [] if not suppressed(r)))
else:
    print(sum(len(entry.get("findings") or []) for key in ("images", "workloads") for entry in doc.get(key) or []))
PY
  elif command -v jq >/dev/null; then
    if [[ "$2" == sarif ]]; then
      jq '[.runs[]?.results[]? | select([.suppressions[]? | select((.status // "accepted") == "accepted")] | length == 0)] | length' "$1"
    else
      jq '[(.images[]?, .workloads[]?) | .findings[]?] | length' "$1"
    fi
  else
    echo "neither python3 nor jq is installed: cannot count the findings" >&2
    return 1
  fi
}

sarif_file=""
count=""
if [[ $status -le 1 ]]; then
  case "$format" in
    sarif) sarif_file="$output"; count="$(count_findings "$output" sarif)" || fail "cannot read $output" ;;
    json) count="$(count_findings "$output" json)" || fail "cannot read $output" ;;
    text)
      # The text report is for people; count from a JSON run of the same scan.
      "$bin" scan --format json --output "$work/count.json" --fail-on never --quiet ${common[@]+"${common[@]}"} \
        -- ${images[@]+"${images[@]}"} || fail "counting the findings (a JSON scan of the same images) failed"
      count="$(count_findings "$work/count.json" json)" || fail "cannot read the JSON scan" ;;
  esac
fi
set_output sarif-file "$sarif_file"
set_output findings-count "$count"

if [[ $status -ge 2 ]]; then
  printf '\n**nsslint could not scan** (exit %s): see the step log.\n' "$status" >>"$summary"
fi
if [[ -s "$summary" ]]; then
  cat "$summary"
  [[ -z "${GITHUB_STEP_SUMMARY:-}" ]] || cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
case "$status" in
  0) note "no finding at or above the fail-on level (${count:-?} finding(s) reported)" ;;
  1) note "findings at or above the fail-on level: failing the step (the report is in $output)" ;;
esac
exit "$status"
