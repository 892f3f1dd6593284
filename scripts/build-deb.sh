#!/bin/bash
# make deb: builds the Debian packages libpam-swiftsql and swiftsql-authd from a clean copy of
# this tree, then runs lintian on it.
#
#   scripts/build-deb.sh OUT
#
# The copy, OUT/src, holds exactly the files that git tracks or would track
# (git ls-files --cached --others --exclude-standard): no build folder, no
# SwiftPM scratch, nothing .gitignore names. So a fresh clone, a checkout
# with uncommitted work and one with stray build products all build the same
# way. dpkg-buildpackage -us -uc -b runs in OUT/src and writes the .deb,
# .buildinfo and .changes into OUT. lintian must then report no error and no
# warning (its overrides are in debian/, each with its reason).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if_changed=""
if [ "${1:-}" = --if-changed ]; then
  if_changed=yes
  shift
fi
out=${1:?usage: build-deb.sh [--if-changed] OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The files of the tree (what git tracks or would track, that exist), NUL
# separated, and one hash of their names and contents.
tree_files() {
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' path; do
      if [ -e "$root/$path" ] || [ -L "$root/$path" ]; then printf '%s\0' "$path"; fi
    done
}
tree_hash() {
  tree_files | sort -z | (cd "$root" && xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# --if-changed (make e2e-trixie): nothing to do when OUT holds a package
# built from this very tree.
if [ -n "$if_changed" ] && [ -f "$out/tree.sha256" ] && ls "$out"/libpam-swiftsql_*.deb >/dev/null 2>&1 &&
  [ "$(cat "$out/tree.sha256")" = "$(tree_hash)" ]; then
  echo "build-deb: $out holds the package of this tree already"
  exit 0
fi

command -v swift >/dev/null 2>&1 || {
  echo "build-deb: swift is not on PATH (the Swift toolchain is not a Debian package; see README)" >&2
  exit 1
}

echo "build-deb: copying the tree into $out/src"
rm -rf "$out/src"
rm -f "$out"/libpam-swiftsql_* "$out"/libpam-swiftsql-dbgsym_* "$out"/swiftsql-authd_* "$out"/swiftsql-authd-dbgsym_* \
  "$out/tree.sha256"
mkdir -p "$out/src"
cd "$root"
# Files deleted in the work tree but still in the index are skipped.
tree_files > "$out/files.list"
hash=$(tree_hash)
tar --null --no-recursion --files-from="$out/files.list" -cf - | tar -xf - -C "$out/src"
rm -f "$out/files.list"

echo "build-deb: dpkg-buildpackage -us -uc -b"
cd "$out/src"
dpkg-buildpackage -us -uc -b

changes=$(ls "$out"/libpam-swiftsql_*.changes)
echo "build-deb: lintian $changes"
# --fail-on error,warning: any error or warning fails make deb. Info-level
# tags are shown too. (--show-overrides would count overridden tags as
# failures, so the overrides are listed by a second run.)
lintian --display-info --fail-on error,warning "$changes"
echo "build-deb: lintian found no error and no warning; its overrides (see debian/*.lintian-overrides):"
lintian --show-overrides "$changes" 2>/dev/null | grep '^O: ' || echo "  (none)"
echo "$hash" > "$out/tree.sha256"
ls -l "$out"/*.deb
