# shellcheck shell=bash
# Helpers shared by action/install.sh and action/scan.sh. Source it; do not run it.
#
# Both scripts take everything through environment variables (the composite steps of action.yml pass the
# inputs with `env:`, never by `${{ }}` interpolation into the script), so they run the same outside GitHub:
# tests/action/run_composite.py drives them with a fake GITHUB_* environment.

# shellcheck disable=SC2034  # used by the scripts that source this file
NSSLINT_ACTION_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# fail MESSAGE: an error annotation on GitHub (a plain line elsewhere), then exit 1.
fail() {
  if [[ -n "${GITHUB_ACTIONS:-}" ]]; then
    # Workflow commands end at a newline; %, \r and \n must be escaped in the message.
    local escaped="${1//'%'/%25}"
    escaped="${escaped//$'\r'/%0D}"
    escaped="${escaped//$'\n'/%0A}"
    echo "::error title=nsslint::$escaped"
  fi
  echo "nsslint action: error: $1" >&2
  exit 1
}

note() { echo "nsslint action: $*" >&2; }

# set_output NAME VALUE: a step output (to $GITHUB_OUTPUT; printed as NAME=VALUE when run outside GitHub).
set_output() {
  local name="$1" value="$2"
  [[ "$value" != *$'\n'* ]] || fail "output $name would contain a newline"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$name" "$value"
  fi
}

# sha256_of FILE: the file's sha256 in hex (sha256sum on Linux, shasum on macOS); status 1 when neither
# tool exists. Meant for $(...): it does not call fail, whose annotation would land in the variable.
sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    return 1
  fi
}
