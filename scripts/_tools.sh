# shellcheck shell=bash
# Sourced by the scripts: make sure the linters that cannot share .venv (their dependencies
# conflict with the project's) exist in their own environments under .tools/, at the pinned
# version. An environment is (re)built when it is missing or when its pin below changed.
# Sets CHECKOV to the checkov executable.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOV_VERSION="3.3.30"

_tool_venv() {  # NAME REQUIREMENT: a venv at .tools/NAME holding exactly REQUIREMENT
  local name="$1" requirement="$2"
  local venv="$ROOT/.tools/$name"
  local stamp="$venv/.requirement"
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirement" ]; then
    local py="${PYTHON:-python3}"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || { echo "error: Python 3.11 or newer is needed (found $("$py" --version 2>&1))" >&2; exit 1; }
    echo "setting up $venv ($requirement) ..." >&2
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$requirement"
    echo "$requirement" > "$stamp"
  fi
}

_tool_venv checkov "checkov==$CHECKOV_VERSION"
CHECKOV="$ROOT/.tools/checkov/bin/checkov"
export CHECKOV
