#!/bin/bash
# swiftsql-authd (`pam-swiftsql serve`) end to end, on this machine, with the
# package's own units, examples and Debian's Postfix:
#
#   swaks ─SMTP AUTH PLAIN/LOGIN after STARTTLS─▶ Postfix submission (chroot)
#     ├ libsasl2 (pwcheck_method: saslauthd) ─▶ …/swiftsql-authd/mux ─┐
#     └ smtpd_sasl_type = dovecot ─▶ …/swiftsql-authd/auth-client ─────┴▶ swiftsql-authd ─▶ PostgreSQL
#   testsaslauthd, pam-swiftsql test and status ─▶ the same sockets
#
#   serve.sh DEB_DIR
#
# It installs DEB_DIR's libpam-swiftsql and swiftsql-authd with apt-get, checks
# what they installed (user, units, hardening score), sets up PostgreSQL (a
# cluster of its own) and Postfix on loopback, and runs the daemon as its
# units say: under systemd when it is PID 1, else through unit-emulator.py,
# which reads the installed socket and service units (sockets held across
# restarts, Restart=on-failure). It logs in right, wrong and unknown through
# both Postfix paths, stops and restarts the database under load, kills the
# daemon with SIGKILL under load and counts the answers lost, reloads and
# stops it. Everything it changed is put back; both packages are purged.
# Root only; syslog is read from /dev/log (no syslog daemon may hold it).
# Debian 12 runs it from `make e2e` (Tests/EndToEnd/run); a Debian 13 run
# calls the same script with its own DEB_DIR (inside its root: the
# packages of E2E_DEPS and systemd's systemd-analyze; the newest PostgreSQL
# installed is used, and systemd only when it runs there).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

deb_dir=$(cd "${1:?usage: serve.sh DEB_DIR}" && pwd)
[ "$(id -u)" = 0 ] || die "serve.sh needs root"
arch=$(dpkg --print-architecture)
module_deb=$(ls "$deb_dir"/libpam-swiftsql_*_"$arch".deb 2>/dev/null | head -1)
daemon_deb=$(ls "$deb_dir"/swiftsql-authd_*_"$arch".deb 2>/dev/null | head -1)
[ -n "$module_deb" ] && [ -n "$daemon_deb" ] ||
  die "no libpam-swiftsql_*_$arch.deb and swiftsql-authd_*_$arch.deb in $deb_dir: run make deb"
examples=/usr/share/doc/swiftsql-authd/examples
module_examples=/usr/share/doc/libpam-swiftsql/examples
user=_swiftsql-authd

password="correct horse battery staple"
db_password="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cluster=swiftsql-serve-e2e
spool_run=/var/spool/postfix/var/run/swiftsql-authd
mux=$spool_run/mux
timeout_seconds=3
# The newest PostgreSQL installed (15 on Debian 12, 17 on Debian 13).
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)

work=$(mktemp -d /tmp/swiftsql-serve-e2e.XXXXXX)
chmod 0755 "$work"
backup_dir="$work/backup"
mkdir -p "$backup_dir"
syslog_file="$work/syslog"
logs_out="$deb_dir/e2e-serve-logs"
syslog_pid=""
emulator_pid=""
under_systemd=""
postfix_started=""
cluster_created=""
added_postfix_to_sasl=""
user_created=""
spool_made=""
run_made=""

teardown() {
  local status=$?
  step "teardown"
  touch "$work/load-stop"
  [ -n "${load_pid:-}" ] && wait "$load_pid" 2>/dev/null
  if [ -n "$under_systemd" ]; then
    systemctl stop swiftsql-authd.socket swiftsql-authd.service >/dev/null 2>&1
  fi
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null
    wait_for 45 "the unit emulator to exit" bash -c "! kill -0 $emulator_pid" || kill -9 "$emulator_pid" 2>/dev/null
  fi
  [ -n "$postfix_started" ] && postfix stop >/dev/null 2>&1
  [ -n "$added_postfix_to_sasl" ] && gpasswd -d postfix sasl >/dev/null 2>&1
  [ -n "$cluster_created" ] && pg_dropcluster --stop "$pg_version" "$cluster" >/dev/null 2>&1
  [ -n "$spool_made" ] && rm -rf "$spool_made"
  [ -n "$run_made" ] && rm -rf /run/swiftsql-authd
  restore_files
  for package in swiftsql-authd libpam-swiftsql; do
    if dpkg -s "$package" >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$package" >/dev/null 2>&1
    fi
  done
  if [ -n "$user_created" ]; then
    deluser --quiet --system "$user" >/dev/null 2>&1
    delgroup --quiet --system "$user" >/dev/null 2>&1
  fi
  stop_syslog
  if [ "$status" -ne 0 ] || [ "$failed" -gt 0 ]; then
    # CI shows only this output: what the daemon and its units said.
    echo "--- the unit emulator's last lines"
    tail -n 20 "$work/unit-emulator.log" 2>/dev/null
    echo "--- swiftsql-authd's last syslog lines"
    grep -a "swiftsql-authd" "$syslog_file" 2>/dev/null | tail -n 30
  fi
  keep_logs "$logs_out" "$syslog_file" "$work"/*.log
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
step "preflight"
pidof master >/dev/null 2>&1 && die "a Postfix master is running: this test configures Postfix itself"
pgrep -x swiftsql-authd >/dev/null && die "a swiftsql-authd is running already"
[ -n "$pg_version" ] || die "PostgreSQL is not installed"
pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$cluster" && pg_dropcluster --stop "$pg_version" "$cluster"
# sd_booted(3): systemd runs this system (not the host of a chroot).
[ -d /run/systemd/system ] && under_systemd=yes
start_syslog
cyrus_port=$(free_port)
dovecot_port=$(free_port)
echo "submission through libsasl2 on 127.0.0.1:$cyrus_port, through the Dovecot protocol on 127.0.0.1:$dovecot_port"
echo "the units run ${under_systemd:+under systemd}${under_systemd:-through unit-emulator.py (no systemd)}"

# ---------------------------------------------------------------------------
step "install $(basename "$module_deb") and $(basename "$daemon_deb") with apt-get"
export DEBIAN_FRONTEND=noninteractive
for package in swiftsql-authd libpam-swiftsql; do
  dpkg -s "$package" >/dev/null 2>&1 && apt-get purge -y -q "$package" >/dev/null
done
getent passwd "$user" >/dev/null || user_created=yes
[ -d /run/swiftsql-authd ] || run_made=yes
apt-get install -y -q "$module_deb" "$daemon_deb" > "$work/apt-install.log" 2>&1 || cat "$work/apt-install.log"
expect_equal "swiftsql-authd is installed" "install ok installed" \
  "$(dpkg-query -W -f='${Status}' swiftsql-authd 2>/dev/null)"
# The units' directory: /lib/systemd/system on Debian 12, /usr/lib/… on 13.
socket_unit=$(dpkg -L swiftsql-authd | grep '/systemd/system/swiftsql-authd.socket$' | head -1)
service_unit=$(dpkg -L swiftsql-authd | grep '/systemd/system/swiftsql-authd.service$' | head -1)
expect "dpkg -L swiftsql-authd lists the socket unit ($socket_unit)" test -n "$socket_unit"
expect "dpkg -L swiftsql-authd lists the service unit ($service_unit)" test -n "$service_unit"
for file in /usr/sbin/swiftsql-authd /etc/init.d/swiftsql-authd /etc/default/swiftsql-authd \
  /usr/lib/tmpfiles.d/swiftsql-authd.conf /usr/share/man/man8/swiftsql-authd.8.gz; do
  expect "dpkg -L swiftsql-authd lists $file" bash -c "dpkg -L swiftsql-authd | grep -qx '$file'"
done
expect "no Swift runtime, Foundation or RUNPATH in the daemon" bash -c \
  "! readelf -d /usr/sbin/swiftsql-authd | grep -qE 'libswift|libFoundation|RUNPATH|RPATH'"
expect "man 8 swiftsql-authd finds the page" bash -c "man -w 8 swiftsql-authd | grep -q swiftsql-authd.8"
expect_equal "the system user $user: its own group only" "$user" "$(id -nG "$user" 2>/dev/null)"
expect_equal "  no home, no shell" "/nonexistent /usr/sbin/nologin" \
  "$(getent passwd "$user" | awk -F: '{print $6, $7}')"
expect "  a system uid" test "$(id -u "$user")" -lt 1000
expect_equal "/etc/pam_swiftsql.conf is 0640 root:$user (the daemon reads it; clients cannot)" \
  "640 root $user" "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"
expect_equal "swiftsql-authd --version" "swiftsql-authd $(dpkg-query -W -f='${Version}' swiftsql-authd)" \
  "$(swiftsql-authd --version)"
expect_equal "pam-swiftsql serve runs it" "$(swiftsql-authd --version)" "$(pam-swiftsql serve --version)"

command -v systemd-analyze >/dev/null || echo "    systemd-analyze is missing: install the package systemd"
security=$(systemd-analyze security --offline=true "$service_unit" 2>&1)
score=$(printf '%s\n' "$security" | sed -n 's/.*Overall exposure level for swiftsql-authd.service: \([0-9.]*\) \(.*\)/\1 \2/p')
echo "    systemd-analyze security: $score"
expect "systemd-analyze security rates the service OK or better (exposure $score)" \
  python3 -c "import sys; sys.exit(0 if float('${score%% *}' or 10) <= 2.0 else 1)"
if command -v systemd-tmpfiles >/dev/null; then
  expect_equal "/run/swiftsql-authd (tmpfiles.d, made by the postinst) is 0710 $user:sasl" "710 $user sasl" \
    "$(stat -c '%a %U %G' /run/swiftsql-authd 2>/dev/null)"
else
  skip "/run/swiftsql-authd: no systemd-tmpfiles here to make it (the daemon makes it when started as root)"
fi

# ---------------------------------------------------------------------------
step "PostgreSQL: cluster $cluster, database mail, table users"
mail_cluster "$cluster" "$module_examples/schema-pgsql.sql" "$db_password"
sha() { doveadm pw -s SHA512-CRYPT -p "$password"; }
{
  echo "INSERT INTO users (username, domain, password, active) VALUES"
  echo "  ('alice', 'example.org', '$(sha)', true),"
  echo "  ('bob', 'example.org', '$(sha)', true),"
  echo "  ('argon', 'example.org', '$(doveadm pw -s ARGON2ID -p "$password")', true),"
  echo "  ('off', 'example.org', '$(sha)', false);"
} | psql_super -d mail || die "INSERT failed"

step "/etc/pam_swiftsql.conf, edited as an administrator would"
cat > /etc/pam_swiftsql.conf <<EOF
# swiftsql-authd e2e
driver = pgsql
connect = host=/var/run/postgresql port=$pg_port dbname=mail user=mailauth password=$db_password
password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
account_query = SELECT active FROM users WHERE username = '%n' AND domain = '%d'
connect_timeout = $timeout_seconds
query_timeout = $timeout_seconds
EOF
expect_equal "after the edit, still 0640 root:$user" "640 root $user" "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"
out=$(swiftsql-authd --check 2>&1)
expect_contains "swiftsql-authd --check (as $user): the file loads" "/etc/pam_swiftsql.conf: ok (driver pgsql" "$out"
expect_contains "  read as $user" "(read as $user)" "$out"

# ---------------------------------------------------------------------------
step "the sockets inside Postfix's chroot, as examples/ says; postfix in group sasl"
for dir in /var/spool/postfix/var /var/spool/postfix/var/run "$spool_run"; do
  [ -d "$dir" ] || { spool_made=$dir; break; }
done
install -d -o "$user" -g sasl -m 0710 "$spool_run"
if ! id -nG postfix | tr ' ' '\n' | grep -qx sasl; then
  adduser --quiet postfix sasl
  added_postfix_to_sasl=yes
fi
save_file /etc/default/swiftsql-authd
install -m 0644 "$examples/swiftsql-authd-default-postfix" /etc/default/swiftsql-authd
dropin=/etc/systemd/system/swiftsql-authd.socket.d/postfix.conf
save_file /etc/systemd/system/swiftsql-authd.socket.d
mkdir -p "$(dirname "$dropin")"
install -m 0644 "$examples/swiftsql-authd-socket-postfix.conf" "$dropin"

# start_units: the socket unit (the service starts with the first connection).
start_units() {
  if [ -n "$under_systemd" ]; then
    systemctl daemon-reload
    systemctl restart swiftsql-authd.socket
  else
    python3 "$here/unit-emulator.py" "$socket_unit" "$service_unit" "$work/unit" "$dropin" \
      >> "$work/unit-emulator.log" 2>&1 &
    emulator_pid=$!
  fi
  wait_for 10 "the socket $mux" test -S "$mux"
}
# main_pid: the service's pid, or nothing.
main_pid() {
  if [ -n "$under_systemd" ]; then
    systemctl show -p MainPID --value swiftsql-authd.service | grep -v '^0$'
  else
    cat "$work/unit/main.pid" 2>/dev/null
  fi
}
start_units
expect_equal "the socket directory is 0710 $user:sasl" "710 $user sasl" "$(stat -c '%a %U %G' "$spool_run")"
expect_equal "the mux socket is 0777, as saslauthd's" "777" "$(stat -c '%a' "$mux")"

step "testsaslauthd and pam-swiftsql test on the mux socket"
out=$(bounded 30 testsaslauthd -f "$mux" -s smtp -u alice -r example.org -p "$password")
expect_equal "testsaslauthd: alice + realm example.org (joined as saslauthd -r): OK" '0: OK "Success."' "$out"
pid=$(main_pid)
expect "the first connection started the service (pid $pid)" test -n "$pid"
expect_equal "  it runs as $user" "$user" "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')"
expect_equal "  with no supplementary group" "" \
  "$(awk '/^Groups:/ {sub(/^Groups:[ \t]*/, ""); print}' "/proc/$pid/status" 2>/dev/null | tr -d ' ')"
out=$(bounded 30 testsaslauthd -f "$mux" -s smtp -u alice -r example.org -p "not the password")
expect_equal "testsaslauthd, wrong password: NO" '0: NO "authentication failed"' "$out"
out=$(pam-swiftsql test -f "$mux" -u bob@example.org -p "$password")
expect_equal "pam-swiftsql test: bob@example.org: OK" '0: OK "Success."' "$out"
out=$(pam-swiftsql test -f "$mux" -u off@example.org -p "$password")
expect_equal "pam-swiftsql test: a disabled account, with the daemon's reason" '0: NO "account disabled"' "$out"
expect_log "one failure line, as the module writes it" "swiftsql-authd[" \
  "authentication failure; user=alice@example.org service=smtp" 'reason="wrong password"'
status_out=$(pam-swiftsql status)
printf '%s\n' "$status_out" | sed 's/^/    /' | head -30
expect_contains "pam-swiftsql status counts the logins" "logins 4" "$status_out"
expect_contains "  and the refusals" "failures 2" "$status_out"

# ---------------------------------------------------------------------------
step "Postfix: two submission services, STARTTLS, SMTP AUTH from swiftsql-authd"
# libsasl2 (the module package's submission example, smtpd_sasl_type=cyrus)
# and the Dovecot protocol (this package's example), on two loopback ports.
postfix_configure "$module_examples/postfix-main.cf" "$examples/postfix-sasl-smtpd-swiftsql-authd.conf" \
  "$cyrus_port=$module_examples/postfix-master.cf" "$dovecot_port=$examples/postfix-master-swiftsql-authd.cf"

for path in cyrus dovecot; do
  case $path in
    cyrus) smtp_port=$cyrus_port what="libsasl2 -> saslauthd protocol" ;;
    dovecot) smtp_port=$dovecot_port what="smtpd_sasl_type = dovecot" ;;
  esac
  step "SMTP AUTH through Postfix ($what) and swiftsql-authd"
  out=$(swaks_run PLAIN alice@example.org "$password")
  expect_contains "without STARTTLS, no AUTH is offered" "did not advertise authentication" "$out"
  for mechanism in PLAIN LOGIN; do
    expect_equal "SMTP AUTH $mechanism, SHA512-CRYPT, right password: 235" 235 \
      "$(swaks_code "$mechanism" alice@example.org "$password")"
    expect_equal "SMTP AUTH $mechanism, ARGON2ID, right password: 235" 235 \
      "$(swaks_code "$mechanism" argon@example.org "$password")"
    expect_equal "SMTP AUTH $mechanism, wrong password: 535" 535 \
      "$(swaks_code "$mechanism" bob@example.org "not the password")"
    expect_equal "SMTP AUTH $mechanism, unknown user: 535" 535 \
      "$(swaks_code "$mechanism" nobody@example.org "$password")"
  done
  expect_log "  the daemon's failure line: no such login" "swiftsql-authd[" "user=nobody@example.org" \
    'reason="no such login"'
done

if pam-swiftsql doctor --help 2>/dev/null | grep -q -- '--serve'; then
  step "pam-swiftsql doctor --serve on this set-up"
  doctor=$(pam-swiftsql doctor --serve 2>&1)
  doctor_status=$?
  printf '%s\n' "$doctor" | sed 's/^/    /'
  expect_equal "pam-swiftsql doctor --serve exits 0" 0 "$doctor_status"
  expect "  and reports no [FAIL]" bash -c "! printf '%s' \"\$1\" | grep -q '\[FAIL\]'" _ "$doctor"
else
  skip "pam-swiftsql doctor --serve: this build's doctor has no serve mode"
fi

# ---------------------------------------------------------------------------
# load_start / load_stop: two clients logging alice in back to back.
load_start() {
  rm -f "$work/load-stop" "$work/load.out"
  python3 "$here/mux-load.py" "$mux" alice example.org "$password" smtp 2 "$work/load-stop" "$work/load.out" &
  load_pid=$!
}
load_stop() {
  touch "$work/load-stop"
  wait "$load_pid" 2>/dev/null
  load_pid=""
}
count() { grep -c -x -- "$1" "$work/load.out" || true; }

step "the database stopped and restarted under load"
log_before=$(wc -l < "$syslog_file")
load_start
sleep 1
pg_ctlcluster "$pg_version" "$cluster" stop -m fast
sleep 2
smtp_port=$dovecot_port
code=$(swaks_run PLAIN alice@example.org "$password" --tls)
expect_contains "SMTP AUTH while it is down (Dovecot protocol): Postfix passes on the temporary failure" \
  "Temporary authentication failure" "$code"
pg_ctlcluster "$pg_version" "$cluster" start
sleep 2
load_stop
total=$(wc -l < "$work/load.out")
ok=$(count OK)
temporary=$(count "NO temporary failure: the database is unavailable")
echo "    $total answers: $ok OK, $temporary temporary failures, $((total - ok - temporary)) other"
expect "  every answer was OK or a temporary failure: never a wrong password" test "$((ok + temporary))" -eq "$total"
expect "  there were temporary failures while it was down" test "$temporary" -gt 0
expect_equal "  the last answer is OK again" OK "$(tail -1 "$work/load.out")"
expect_log "  the log says once that the database was unavailable" "swiftsql-authd[" "database unavailable"
expect_log "  and once that it answers again" "swiftsql-authd[" "database answers again"
expect "  no failure line since says wrong password for alice" bash -c \
  "! tail -n +$((log_before + 1)) '$syslog_file' | grep -F 'swiftsql-authd[' | grep 'user=alice@example.org' | grep -q 'reason=.wrong password'"

step "kill -9 of the daemon under load: restarted by its unit, no answer lost beyond those in flight"
first=$(main_pid)
load_start
sleep 1
kill -9 "$first"
restarted() { local now; now=$(main_pid); [ -n "$now" ] && [ "$now" != "$first" ]; }
wait_for 10 "the unit to start the service again" restarted
second=$(main_pid)
sleep 2
load_stop
total=$(wc -l < "$work/load.out")
ok=$(count OK)
lost=$((total - ok))
echo "    $total answers, $lost without an answer or not OK ($(grep -v -x OK "$work/load.out" | sort | uniq -c | tr '\n' ';'))"
expect "  a new process ($first -> $second)" test -n "$second" -a "$second" != "$first"
expect "  at most the two logins in flight were lost" test "$lost" -le 2
expect "  and the rest went on" test "$ok" -gt 20
expect_equal "SMTP AUTH after the restart: 235" 235 "$(swaks_code PLAIN alice@example.org "$password")"

step "reload (SIGHUP, ExecReload=) and stop (SIGTERM)"
if [ -n "$under_systemd" ]; then systemctl reload swiftsql-authd.service; else kill -HUP "$emulator_pid"; fi
expect_log "SIGHUP: the configuration is read again" "swiftsql-authd[" "configuration reloaded"
pid=$(main_pid)
if [ -n "$under_systemd" ]; then systemctl stop swiftsql-authd.socket swiftsql-authd.service; else kill "$emulator_pid"; fi
wait_for 45 "the daemon to stop" bash -c "! kill -0 $pid 2>/dev/null"
expect_log "SIGTERM: it answers what is in progress, then stops" "swiftsql-authd[$pid]" "stopped"
if [ -z "$under_systemd" ]; then
  wait "$emulator_pid"
  expect_equal "  with exit status 0" 0 "$?"
  emulator_pid=""
fi

summary serve
