#!/bin/bash
# The package's life on a server: install, upgrade to a rebuilt package with
# a higher version while saslauthd runs, remove, purge; each step checked
# with dpkg -s / dpkg -L and the files themselves.
#
#   lifecycle.sh DEB_DIR
#
# DEB_DIR is what make deb made: libpam-swiftsql_<v>_<arch>.deb and src/, the
# clean copy it was built from. The upgrade is that copy with one more
# debian/changelog entry, built again with dpkg-buildpackage.
#
# While the upgrade happens, two saslauthd daemons (Debian's binary, private
# sockets) keep logging users in through the installed module:
#   -n 0  a new process for every connection: after the upgrade, the next
#         login runs in a new process, which loads the new file. No restart.
#   -n 3  pre-forked workers that live as long as the daemon: a worker that
#         loaded the module before the upgrade keeps the old code (the module
#         is linked -z nodelete), so README.Debian says to restart saslauthd.
# Which copy a worker runs is read from /proc/PID/maps by a pam_exec hook in
# the PAM service: dpkg replaces the file by renaming a new one over it, so
# the old copy shows as the old inode, "(deleted)".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

deb_dir=$(cd "${1:?usage: lifecycle.sh DEB_DIR}" && pwd)
[ "$(id -u)" = 0 ] || die "lifecycle.sh needs root"
arch=$(dpkg --print-architecture)
deb1=$(ls "$deb_dir"/libpam-swiftsql_*_"$arch".deb 2>/dev/null | head -1)
[ -n "$deb1" ] || die "no libpam-swiftsql_*_$arch.deb in $deb_dir: run make deb"
[ -f "$deb_dir/src/debian/changelog" ] || die "no $deb_dir/src: run make deb"
version1=$(dpkg-deb -f "$deb1" Version)
version2="$version1+lifecycle1"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
module="/lib/$multiarch/security/pam_swiftsql.so"
conffile=/etc/pam_swiftsql.conf
password="correct horse battery staple"
export DEBIAN_FRONTEND=noninteractive

work=$(mktemp -d /tmp/swiftsql-lifecycle.XXXXXX)
chmod 0755 "$work"
service="swiftsql-lifecycle-$$"
daemons=()

teardown() {
  local status=$?
  step "teardown"
  local pid
  for pid in "${daemons[@]}"; do stop_saslauthd "$pid"; done
  rm -f "/etc/pam.d/$service"
  if dpkg -s libpam-swiftsql >/dev/null 2>&1 || dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null | grep -q config-files; then
    apt-get purge -y -q libpam-swiftsql >/dev/null 2>&1
  fi
  rm -rf "$work"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# start_saslauthd RUN_DIR WORKERS: Debian's saslauthd as its init script
# runs it, a daemon (not -d: in the foreground, saslauthd -n 0 answers in
# its own process instead of forking one per connection), in a session of
# its own (DESIGN.md §2). Prints the pid of the master.
start_saslauthd() {
  mkdir -p "$1"
  setsid saslauthd -a pam -r -m "$1" -n "$2" < /dev/null > /dev/null 2>&1
  wait_for 10 "saslauthd's socket $1/mux" test -S "$1/mux" || return 1
  wait_for 10 "saslauthd's pid file" test -s "$1/saslauthd.pid" || return 1
  cat "$1/saslauthd.pid"
}

stop_saslauthd() {
  local pid=$1 children
  children=$(pgrep -P "$pid" 2>/dev/null)
  kill "$pid" 2>/dev/null
  wait_for 5 "saslauthd $pid to exit" bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" $children 2>/dev/null
}

# login RUN_DIR: one login through that saslauthd, as Postfix sends it.
login() {
  pam-swiftsql test -f "$1/mux" -s "$service" -u lc -r example.org -p "$password" 2>&1
}

# The maps record of the last login: "pid=N INODE [(deleted)]".
last_record() {
  tail -1 "$work/maps.log" 2>/dev/null
}

# ---------------------------------------------------------------------------
step "build $version2: the same source, one more changelog entry"
mkdir -p "$work/v2"
tar -C "$deb_dir/src" --exclude=./debian/.build-swift --exclude=./debian/build -cf - . | tar -C "$work/v2" -xf -
mkdir -p "$work/v2-out"
mv "$work/v2" "$work/v2-out/src"
{
  echo "libpam-swiftsql ($version2) unstable; urgency=medium"
  echo
  echo "  * Rebuilt by Tests/EndToEnd/lifecycle.sh to test upgrades."
  echo
  echo " -- $(dpkg-parsechangelog -l "$deb_dir/src/debian/changelog" -S Maintainer)  $(date -R)"
  echo
  cat "$deb_dir/src/debian/changelog"
} > "$work/changelog" && mv "$work/changelog" "$work/v2-out/src/debian/changelog"
build_started=$SECONDS
# TMPDIR inside $work: SwiftPM leaves lock files there, named after the path.
mkdir -p "$work/tmp"
(cd "$work/v2-out/src" && TMPDIR="$work/tmp" dpkg-buildpackage -us -uc -b) > "$work/v2-build.log" 2>&1 || {
  tail -40 "$work/v2-build.log"
  die "the build of $version2 failed"
}
deb2=$(ls "$work/v2-out"/libpam-swiftsql_"$version2"_"$arch".deb)
echo "    built $(basename "$deb2") in $((SECONDS - build_started)) s"

# ---------------------------------------------------------------------------
step "install $version1"
if dpkg -s libpam-swiftsql >/dev/null 2>&1 || dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null | grep -q config-files; then
  apt-get purge -y -q libpam-swiftsql >/dev/null
fi
apt-get install -y -q "$deb1" > "$work/install.log" 2>&1 || cat "$work/install.log"
expect_equal "dpkg -s: install ok installed" "install ok installed" "$(dpkg-query -W -f='${Status}' libpam-swiftsql)"
expect_equal "dpkg -s: version $version1" "$version1" "$(dpkg-query -W -f='${Version}' libpam-swiftsql)"
listing=$(dpkg -L libpam-swiftsql)
for path in "$module" /usr/sbin/pam-swiftsql "$conffile" /usr/share/man/man8/pam_swiftsql.8.gz \
  /usr/share/man/man5/pam_swiftsql.conf.5.gz /usr/share/man/man8/pam-swiftsql.8.gz \
  /usr/share/doc/libpam-swiftsql/README.Debian.gz /usr/share/doc/libpam-swiftsql/copyright; do
  expect "dpkg -L lists $path, and it exists" bash -c "grep -qx '$path' <<<\"\$1\" && test -e '$path'" _ "$listing"
done
expect_equal "$conffile: 0640 root:sasl" "640 root sasl" "$(stat -c '%a %U %G' "$conffile")"

step "set up as an administrator: edit $conffile, a PAM service, two saslauthd"
mkdir -p "$work/db"
sqlite3 "$work/db/users.db" "CREATE TABLE users (login TEXT PRIMARY KEY, password TEXT);
  INSERT INTO users VALUES ('lc@example.org', '$(doveadm pw -s SHA512-CRYPT -p "$password")');"
cat >> "$conffile" <<EOF

# Set by the administrator (lifecycle test):
driver = sqlite
connect = $work/db/users.db
password_query = SELECT password FROM users WHERE login = '%u'
EOF
edited=$(sha256sum < "$conffile")
cat > "$work/record-maps" <<EOF
#!/bin/sh
# Run by pam_exec inside a saslauthd worker: which pam_swiftsql.so it maps.
echo "pid=\$PPID \$(grep 'pam_swiftsql.so' /proc/\$PPID/maps | awk '{print \$5, \$7}' | sort -u | head -1)" >> $work/maps.log
EOF
chmod 0755 "$work/record-maps"
cat > "/etc/pam.d/$service" <<EOF
auth     optional  pam_exec.so quiet $work/record-maps
auth     required  pam_swiftsql.so
account  required  pam_swiftsql.so
EOF
inode1=$(stat -c %i "$module")
forking=$(start_saslauthd "$work/run-n0" 0) && daemons+=("$forking") || die "saslauthd -n 0 did not start"
prefork=$(start_saslauthd "$work/run-n3" 3) && daemons+=("$prefork") || die "saslauthd -n 3 did not start"
wait_for 10 "3 pre-forked saslauthd processes" bash -c "[ \$(( \$(pgrep -c -P $prefork) + 1 )) -ge 3 ]"
echo "    saslauthd -n 0: $forking; saslauthd -n 3: $prefork (children $(pgrep -P "$prefork" | tr '\n' ' '))"

expect_equal "saslauthd -n 0: login OK" '0: OK "Success."' "$(login "$work/run-n0")"
expect_equal "  its worker maps the installed module (inode $inode1)" "$inode1" "$(last_record | awk '{print $2}')"
for round in 1 2 3 4 5 6; do
  out=$(login "$work/run-n3")
  [ "$out" = '0: OK "Success."' ] || break
done
expect_equal "saslauthd -n 3: six logins OK" '0: OK "Success."' "$out"
old_workers=$(grep -o 'pid=[0-9]*' "$work/maps.log" | cut -d= -f2 | sort -u |
  while read -r pid; do [ "$pid" = "$prefork" ] || pgrep -P "$prefork" | grep -qx "$pid" && echo "$pid"; done | tr '\n' ' ')
echo "    pre-forked processes that have loaded the module: $old_workers"

# ---------------------------------------------------------------------------
step "upgrade to $version2 with apt-get, saslauthd left running"
apt-get install -y -q "$deb2" < /dev/null > "$work/upgrade.log" 2>&1 || cat "$work/upgrade.log"
expect_equal "dpkg -s: version $version2" "$version2" "$(dpkg-query -W -f='${Version}' libpam-swiftsql)"
expect_equal "dpkg -s: install ok installed" "install ok installed" "$(dpkg-query -W -f='${Status}' libpam-swiftsql)"
expect_equal "the administrator's $conffile is kept" "$edited" "$(sha256sum < "$conffile")"
expect "  without a .dpkg-dist or .dpkg-new beside it" \
  bash -c "! ls $conffile.dpkg-* >/dev/null 2>&1"
expect_equal "  and still 0640 root:sasl" "640 root sasl" "$(stat -c '%a %U %G' "$conffile")"
inode2=$(stat -c %i "$module")
expect "the module file was replaced (inode $inode1 -> $inode2)" test "$inode1" != "$inode2"

expect "saslauthd -n 0 still runs, not restarted ($forking)" kill -0 "$forking"
expect_equal "saslauthd -n 0: login OK after the upgrade" '0: OK "Success."' "$(login "$work/run-n0")"
record=$(last_record)
echo "    $record"
expect_equal "  served by a new process that maps the new module (inode $inode2), no restart needed" \
  "$inode2" "$(awk '{print $2}' <<<"$record")"
expect "  and not the old, deleted copy" bash -c "! grep -q deleted <<<\"\$1\"" _ "$record"

expect "saslauthd -n 3 still runs, not restarted ($prefork)" kill -0 "$prefork"
expect_equal "saslauthd -n 3: login OK after the upgrade (its workers keep working)" '0: OK "Success."' \
  "$(login "$work/run-n3")"
stale=""
for pid in $old_workers; do
  grep -q "pam_swiftsql.so (deleted)" "/proc/$pid/maps" 2>/dev/null && stale="$stale $pid"
done
expect "  but a pre-forked worker that loaded it before still maps the old copy, deleted:$stale" test -n "$stale"
stop_saslauthd "$prefork"
prefork=$(start_saslauthd "$work/run-n3" 3) && daemons+=("$prefork") || die "saslauthd -n 3 did not restart"
expect_equal "after a restart of that saslauthd (README.Debian): login OK" '0: OK "Success."' "$(login "$work/run-n3")"
expect_equal "  and its worker maps the new module (inode $inode2)" "$inode2" "$(last_record | awk '{print $2}')"

# ---------------------------------------------------------------------------
step "remove"
for pid in "${daemons[@]}"; do stop_saslauthd "$pid"; done
daemons=()
apt-get remove -y -q libpam-swiftsql > "$work/remove.log" 2>&1 || cat "$work/remove.log"
expect_equal "dpkg -s: deinstall ok config-files" "deinstall ok config-files" \
  "$(dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null)"
expect "the module is gone" test ! -e "$module"
expect "pam-swiftsql is gone" test ! -e /usr/sbin/pam-swiftsql
expect_equal "the conffile stays, as the administrator left it" "$edited" "$(sha256sum < "$conffile" 2>/dev/null)"
expect_equal "dpkg -L lists only the conffile" "$conffile" "$(dpkg -L libpam-swiftsql 2>/dev/null | grep -v -x -e '/.' -e /etc)"
expect_equal "dpkg -s: the conffile is still registered" "$conffile" \
  "$(dpkg-query -W -f='${Conffiles}' libpam-swiftsql | awk 'NF {print $1}')"

step "purge"
apt-get purge -y -q libpam-swiftsql > "$work/purge.log" 2>&1 || cat "$work/purge.log"
expect "dpkg -s: not installed" bash -c "! dpkg -s libpam-swiftsql >/dev/null 2>&1"
expect "dpkg -L: nothing left" bash -c "! dpkg -L libpam-swiftsql >/dev/null 2>&1"
expect "the conffile is gone" test ! -e "$conffile"

summary lifecycle
