#!/bin/sh
# Usage: test-recap.sh LOG COMMAND...
#
# Runs COMMAND (swift test) with its output shown as usual and kept whole in
# LOG. If it fails, the issues it recorded are printed once more at the very
# end: a test run of 330 tests in parallel prints the failing expectation
# minutes before its last line, and a CI summary that keeps only the end of
# the output would otherwise show which suite failed but not why.
set -u

log=$1
shift
mkdir -p "$(dirname "$log")"
status_file="$log.status"
rm -f "$status_file"
{
  "$@" 2>&1
  echo $? >"$status_file"
} | tee "$log"
status=$(cat "$status_file" 2>/dev/null || echo 1)
rm -f "$status_file"
[ "$status" = 0 ] && exit 0

echo
echo "=== The issues this run recorded (the whole output: $log) ==="
# Swift Testing writes one line per issue ("✘ Test … recorded an issue at
# File.swift:L:C: Expectation failed: …") followed by its comment, if any,
# on lines that start with "↳" or with two spaces; then a line per failed
# test. XCTest writes "…: error: …".
awk '
  /recorded an issue/ { print; more = 1; next }
  more && (/^↳/ || /^  /) { print; next }
  { more = 0 }
  /^✘ Test .* failed after/ || /: error: / { print }
' "$log" | tail -n 60
# The expectations alone, last, in case only the last lines are kept.
echo "=== In short ==="
grep -E 'recorded an issue' "$log" | cut -c 1-400 | tail -n 10
exit "$status"
