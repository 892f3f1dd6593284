#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet,
# with apt-get --no-install-recommends (running `apt-get update` first only if
# the install fails, e.g. on a machine whose package lists are empty).
# Used by every Makefile target, so `make demo` and `make check` work on a
# fresh Debian 12 machine.
set -eu

missing=""
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: these Debian packages are missing:$missing" >&2
  echo "install-deps: run as root, or install them with: apt-get install --no-install-recommends$missing" >&2
  exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # word splitting of the package list is intended
# Wait up to five minutes for another apt or dpkg run to finish.
lock="-o DPkg::Lock::Timeout=300"
# shellcheck disable=SC2086
if ! apt-get install $lock -y --no-install-recommends $missing; then
  apt-get $lock update
  apt-get install $lock -y --no-install-recommends $missing
fi
