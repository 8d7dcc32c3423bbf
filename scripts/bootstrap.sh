#!/usr/bin/env bash
# Set-up shared by `make run` and `make test`: find Python 3.10, make .venv,
# install the pinned packages when they changed, then hand over to the launcher
# (python -m launcher run|test|...), which builds, trains and starts what is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
WANTED="3.10"

is_wanted() {  # is_wanted PYTHON -> true when it runs and is Python 3.10
  "$1" -c "import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)" >/dev/null 2>&1
}

find_python() {
  if [ -n "${PYTHON:-}" ]; then
    if is_wanted "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "error: PYTHON=$PYTHON is not a working Python $WANTED." >&2
    return 1
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local version prefix
    for version in $(pyenv versions --bare 2>/dev/null | grep -E "^${WANTED//./\\.}\.[0-9]+$" | sort -t. -k3 -n -r); do
      prefix=$(pyenv prefix "$version" 2>/dev/null) || continue
      if is_wanted "$prefix/bin/python3"; then echo "$prefix/bin/python3"; return 0; fi
    done
  fi
  local candidate
  for candidate in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_wanted "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  cat >&2 <<MSG
error: Python $WANTED was not found, and Rasa Open Source 3.6 runs on Python $WANTED only.
Install it, then run the command again. Any one of:
  - pyenv:   pyenv install 3.10.13
  - Debian/Ubuntu (where packaged): apt-get install python3.10 python3.10-venv python3.10-dev
  - or point to one you have:  PYTHON=/path/to/python3.10 make ...
MSG
  return 1
}

if [ ! -x "$VENV/bin/python" ] || ! is_wanted "$VENV/bin/python"; then
  PY=$(find_python)
  echo "==> making $VENV with $PY ($("$PY" --version 2>&1))"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

stamp_of() { cat requirements.txt constraints.txt | sha256sum | cut -c1-16; }
STAMP="$VENV/.installed-$(stamp_of)"
if [ ! -f "$STAMP" ]; then
  echo "==> installing the pinned packages into $VENV (first time: a few minutes)"
  # (the filter drops pip's notes about this machine's unused local package folders)
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt -c constraints.txt \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi

exec "$VENV/bin/python" -m launcher "$@"
