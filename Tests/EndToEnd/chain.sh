#!/bin/bash
# The mail chain of DESIGN.md §1, end to end, on this machine, with Debian's
# packages and the package's own examples (the seeds' configuration):
#
#   swaks ─SMTP AUTH PLAIN/LOGIN after STARTTLS─▶ Postfix submission (chroot)
#     └ libsasl2 (pwcheck_method: saslauthd) ─▶ saslauthd -a pam -c -r
#         └ /etc/pam.d/smtp ─▶ pam_swiftsql.so ─▶ PostgreSQL
#   imaplib ─IMAP LOGIN─▶ Dovecot (passdb pam) ─▶ /etc/pam.d/dovecot ─▶ …
#
#   chain.sh DEB_DIR
#
# It purges libpam-swiftsql, installs DEB_DIR/libpam-swiftsql_*.deb with
# apt-get, checks what it installed, then sets up PostgreSQL (a cluster of
# its own), saslauthd, Postfix and Dovecot on loopback, logs in right, wrong
# and unknown, stops the database and logs in again. Everything it changed is
# put back when it ends, and the package is purged. Root only; syslog is read
# from /dev/log (no syslog daemon may hold it).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

deb_dir=$(cd "${1:?usage: chain.sh DEB_DIR}" && pwd)
[ "$(id -u)" = 0 ] || die "chain.sh needs root"
arch=$(dpkg --print-architecture)
deb=$(ls "$deb_dir"/libpam-swiftsql_*_"$arch".deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "no libpam-swiftsql_*_$arch.deb in $deb_dir: run make deb"
version=$(dpkg-deb -f "$deb" Version)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
examples=/usr/share/doc/libpam-swiftsql/examples

password="correct horse battery staple"
db_password="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cluster=swiftsql-e2e
spool_run=/var/spool/postfix/var/run/saslauthd
# What the module is given for its timeouts, and the slack for a busy machine.
timeout_seconds=3

work=$(mktemp -d /tmp/swiftsql-e2e.XXXXXX)
chmod 0755 "$work"
backup_dir="$work/backup"
mkdir -p "$backup_dir"
syslog_file="$work/syslog"
logs_out="$deb_dir/e2e-logs"
syslog_pid=""
dovecot_pid=""
postfix_started=""
saslauthd_started=""
cluster_created=""
added_postfix_to_sasl=""
created_vmail=""
run_link_made=""
frozen=""
spool_run_made=""

teardown() {
  local status=$?
  step "teardown"
  [ -n "$frozen" ] && kill -CONT $frozen 2>/dev/null
  if [ -n "$dovecot_pid" ]; then
    kill "$dovecot_pid" 2>/dev/null
    wait_for 10 "dovecot to exit" bash -c "! kill -0 $dovecot_pid" || kill -9 "$dovecot_pid" 2>/dev/null
  fi
  [ -n "$postfix_started" ] && postfix stop >/dev/null 2>&1
  if [ -n "$saslauthd_started" ]; then
    /etc/init.d/saslauthd stop-instance saslauthd >/dev/null 2>&1
  fi
  if [ -n "$run_link_made" ]; then
    rm -f /run/saslauthd
    install -d -o root -g sasl -m 0710 /run/saslauthd
  fi
  [ -n "$spool_run_made" ] && rm -rf "$spool_run_made"
  [ -n "$added_postfix_to_sasl" ] && gpasswd -d postfix sasl >/dev/null 2>&1
  [ -n "$cluster_created" ] && pg_dropcluster --stop 15 "$cluster" >/dev/null 2>&1
  [ -n "$created_vmail" ] && userdel swiftsql-vmail >/dev/null 2>&1
  restore_files
  if dpkg -s libpam-swiftsql >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q libpam-swiftsql >/dev/null 2>&1
  fi
  stop_syslog
  keep_logs "$logs_out" "$syslog_file" "$work"/*.log "$work"/dovecot/*.log
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
step "preflight"
pidof master >/dev/null 2>&1 && die "a Postfix master is running: this test configures Postfix itself"
if [ -S "$spool_run/mux" ] && [ -f "$spool_run/saslauthd.pid" ] && kill -0 "$(cat "$spool_run/saslauthd.pid")" 2>/dev/null; then
  die "a saslauthd already serves $spool_run"
fi
pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$cluster" && pg_dropcluster --stop 15 "$cluster"
start_syslog
smtp_port=$(free_port)
imap_port=$(free_port)
echo "submission on 127.0.0.1:$smtp_port, IMAP on 127.0.0.1:$imap_port, syslog from /dev/log"

# ---------------------------------------------------------------------------
step "install $(basename "$deb") with apt-get, from a purged state"
export DEBIAN_FRONTEND=noninteractive
if dpkg -s libpam-swiftsql >/dev/null 2>&1; then
  apt-get purge -y -q libpam-swiftsql >/dev/null
fi
expect "libpam-swiftsql is purged before the test" bash -c '! dpkg -s libpam-swiftsql >/dev/null 2>&1'
apt-get install -y -q "$deb" > "$work/apt-install.log" 2>&1 || cat "$work/apt-install.log"
expect_equal "dpkg -s: installed" "install ok installed" "$(dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null)"
expect_equal "dpkg -s: version $version" "$version" "$(dpkg-query -W -f='${Version}' libpam-swiftsql 2>/dev/null)"

pam_unix_dir=$(dirname "$(dpkg -L libpam-modules | grep '/security/pam_unix.so$' | head -1)")
module="$pam_unix_dir/pam_swiftsql.so"
expect_equal "the module is where libpam-modules keeps its modules ($pam_unix_dir)" \
  "/lib/$multiarch/security" "$pam_unix_dir"
expect "dpkg -L lists $module" bash -c "dpkg -L libpam-swiftsql | grep -qx '$module'"
expect "dpkg -L lists /usr/sbin/pam-swiftsql" bash -c "dpkg -L libpam-swiftsql | grep -qx /usr/sbin/pam-swiftsql"
expect "$module is a file" test -f "$module"

needed=$(readelf -d "$module" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "    NEEDED: $(echo $needed)"
swift_libs=$(printf '%s\n' $needed | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation' || true)
expect_equal "readelf -d: no Swift runtime, Foundation or Dispatch library among NEEDED" "" "$swift_libs"
ldd_out=$(env -i /usr/bin/ldd "$module")
expect "ldd: every library is found, none from /opt/swift" \
  bash -c "! printf '%s' \"\$1\" | grep -qE 'not found|/opt/swift'" _ "$ldd_out"
unpackaged=""
for library in $needed; do
  path=$(printf '%s\n' "$ldd_out" | awk -v lib="$library" '$1 == lib && $2 == "=>" {print $3} $1 ~ "/"lib"$" {print $1}' | head -1)
  owner=""
  for candidate in "$path" "${path/#\/usr\/lib\//\/lib\/}" "${path/#\/lib\//\/usr\/lib\/}" \
    "$(readlink -f "$path")" "$(readlink -f "$path" | sed 's|^/usr/lib/|/lib/|')"; do
    [ -n "$candidate" ] || continue
    owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
  done
  echo "    $library -> $path ($owner)"
  [ -n "$owner" ] || unpackaged="$unpackaged $library"
done
expect_equal "dpkg -S finds the Debian package of every NEEDED library" "" "$unpackaged"
# The six entry points of PAM's four module types (issue 13: stacks call
# session and password on the module too); nothing else, no Swift symbol.
expect_equal "the module exports only the six pam_sm_* entry points" \
  "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred" \
  "$(nm -D --defined-only "$module" | awk '{print $NF}' | sort | tr '\n' ' ' | sed 's/ $//')"
expect "the module is linked -z nodelete" bash -c "readelf -d '$module' | grep FLAGS_1 | grep -q NODELETE"
expect "no RUNPATH or RPATH in the module and the tool" \
  bash -c "! readelf -d '$module' /usr/sbin/pam-swiftsql | grep -qE 'RUNPATH|RPATH'"

expect_equal "/etc/pam_swiftsql.conf is a conffile" "/etc/pam_swiftsql.conf" \
  "$(dpkg-query -W -f='${Conffiles}' libpam-swiftsql | awk 'NF {print $1}')"
expect_equal "/etc/pam_swiftsql.conf is 0640 root:sasl" "640 root sasl" "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"
for page in pam_swiftsql.8 pam_swiftsql.conf.5 pam-swiftsql.8; do
  name=${page%.*}
  section=${page##*.}
  expect "man $section $name finds the page" bash -c "man -w $section $name | grep -q '/usr/share/man/man$section/$page'"
done
expect "man pam_swiftsql.conf documents connect and password_query" \
  bash -c "MANWIDTH=80 man pam_swiftsql.conf 2>/dev/null | col -b | grep -q password_query"
for example in saslauthd saslauthd-postfix-chroot.service.conf saslauthd-postfix-chroot.tmpfiles.conf \
  postfix-sasl-smtpd.conf postfix-master.cf postfix-main.cf dovecot-2.3-auth-swiftsql.conf.ext \
  dovecot-2.4-auth-swiftsql.conf.ext schema-pgsql.sql schema-sqlite.sql pam.d/smtp pam.d/dovecot; do
  expect "example $example is installed" test -f "$examples/$example"
done

# The shipped configuration sets nothing: the module must refuse, and say why.
mkdir -p "$work/pam-closed"
printf 'auth required pam_swiftsql.so\naccount required pam_swiftsql.so\n' > "$work/pam-closed/swiftsql-e2e-closed"
closed=$(pam-swiftsql pam --confdir "$work/pam-closed" -s swiftsql-e2e-closed -u alice@example.org -p "$password" 2>&1)
closed_status=$?
expect_equal "as shipped, the module authenticates nobody: pam-swiftsql pam exits 4" 4 "$closed_status"
expect_contains "as shipped, pam_authenticate answers PAM_SERVICE_ERR" "pam_authenticate: PAM_SERVICE_ERR" "$closed"
expect_log "as shipped, the log says what to set" "pam_swiftsql(swiftsql-e2e-closed:auth)" "connect is not set"

# ---------------------------------------------------------------------------
step "PostgreSQL: cluster $cluster, database mail, table users"
mail_cluster "$cluster" "$examples/schema-pgsql.sql" "$db_password"
sha() { doveadm pw -s SHA512-CRYPT -p "$password"; }
argon() { doveadm pw -s ARGON2ID -p "$password"; }
{
  echo "INSERT INTO users (username, domain, password) VALUES"
  echo "  ('alice', 'example.org', '$(sha)'),"
  echo "  ('bob', 'example.org', '$(sha)'),"
  echo "  ('argon', 'example.org', '$(argon)'),"
  echo "  ('ada', 'example.org', '$(argon)'),"
  echo "  ('carol', 'example.org', '$(sha)'),"
  echo "  ('dave', 'example.org', '$(sha)'),"
  echo "  ('erin', 'example.org', '$(sha)');"
} | psql_super -d mail || die "INSERT failed"
psql_super -d mail -c "SELECT username || '@' || domain, substr(password, 1, 14) || '…' FROM users ORDER BY 1" |
  sed 's/^/    /'

# ---------------------------------------------------------------------------
step "/etc/pam_swiftsql.conf, edited as an administrator would"
cat > /etc/pam_swiftsql.conf <<EOF
# pam_swiftsql e2e
driver = pgsql
connect = host=/var/run/postgresql port=$pg_port dbname=mail user=mailauth password=$db_password
password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
account_query = SELECT active FROM users WHERE username = '%n' AND domain = '%d'
connect_timeout = $timeout_seconds
query_timeout = $timeout_seconds
debug = yes
EOF
expect_equal "after the edit, /etc/pam_swiftsql.conf is still 0640 root:sasl" "640 root sasl" \
  "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"

save_file /etc/pam.d/smtp
save_file /etc/pam.d/dovecot
install -m 0644 "$examples/pam.d/smtp" /etc/pam.d/smtp
install -m 0644 "$examples/pam.d/dovecot" /etc/pam.d/dovecot
out=$(pam-swiftsql pam -s smtp -u dave@example.org -p "$password" 2>&1)
expect_contains "pam-swiftsql pam -s smtp: dave@example.org is accepted by PAM directly" \
  "pam_acct_mgmt: PAM_SUCCESS" "$out"

# ---------------------------------------------------------------------------
step "saslauthd: MECHANISMS=pam, -c -r -m $spool_run, postfix in group sasl"
if ! id -nG postfix | tr ' ' '\n' | grep -qx sasl; then
  adduser --quiet postfix sasl
  added_postfix_to_sasl=yes
fi
# The directories the init script creates for the socket, removed afterwards
# (the topmost one that did not exist).
for dir in /var/spool/postfix/var /var/spool/postfix/var/run "$spool_run"; do
  [ -d "$dir" ] || { spool_run_made=$dir; break; }
done
save_file /etc/default/saslauthd
install -m 0644 "$examples/saslauthd" /etc/default/saslauthd
expect "/etc/default/saslauthd (the example) has MECHANISMS=\"pam\" and -c -r -m $spool_run" \
  bash -c "grep -qx 'MECHANISMS=\"pam\"' /etc/default/saslauthd && grep -qx 'OPTIONS=\"-c -r -m $spool_run\"' /etc/default/saslauthd"
# For testsaslauthd, pam-swiftsql test and doctor: /run/saslauthd -> the
# socket's directory, by the tmpfiles.d entry README.Debian gives for Debian
# 12 (only when Debian's directory is empty).
if [ -d /run/saslauthd ] && [ ! -L /run/saslauthd ] && [ -z "$(ls -A /run/saslauthd)" ]; then
  save_file /etc/tmpfiles.d/saslauthd-postfix-chroot.conf
  install -m 0644 "$examples/saslauthd-postfix-chroot.tmpfiles.conf" /etc/tmpfiles.d/saslauthd-postfix-chroot.conf
  systemd-tmpfiles --create /etc/tmpfiles.d/saslauthd-postfix-chroot.conf && run_link_made=yes
  expect_equal "systemd-tmpfiles --create (the example): /run/saslauthd links to $spool_run" "$spool_run" \
    "$(readlink /run/saslauthd)"
fi
saslauthd_started=yes
setsid /etc/init.d/saslauthd start-instance saslauthd > "$work/saslauthd-start.log" 2>&1 < /dev/null
wait_for 10 "saslauthd's socket" test -S "$spool_run/mux" || cat "$work/saslauthd-start.log"
expect_equal "the socket directory is root:sasl 710" "710 root sasl" "$(stat -c '%a %U %G' "$spool_run")"
saslauthd_pid=$(cat "$spool_run/saslauthd.pid" 2>/dev/null)
echo "    saslauthd $saslauthd_pid: $(tr '\0' ' ' < "/proc/$saslauthd_pid/cmdline" 2>/dev/null)"
out=$(pam-swiftsql test -f "$spool_run/mux" -s smtp -u dave -r example.org -p "$password" 2>&1)
expect_equal "pam-swiftsql test: saslauthd answers OK for dave + realm example.org (-r joins them)" \
  '0: OK "Success."' "$out"

# ---------------------------------------------------------------------------
step "Postfix: submission on 127.0.0.1:$smtp_port, STARTTLS, smtpd_tls_auth_only, Cyrus SASL"
# Debian's master.cf without the public port 25 service, plus the example's
# submission service on a loopback port.
postfix_configure "$examples/postfix-main.cf" "$examples/postfix-sasl-smtpd.conf" "$smtp_port=$examples/postfix-master.cf"

# ---------------------------------------------------------------------------
step "Dovecot: IMAP on 127.0.0.1:$imap_port, passdb pam (/etc/pam.d/dovecot)"
if ! getent passwd swiftsql-vmail >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin swiftsql-vmail
  created_vmail=yes
fi
vmail_uid=$(id -u swiftsql-vmail)
mkdir -p "$work/dovecot" "$work/mail"
chown swiftsql-vmail:swiftsql-vmail "$work/mail"
cat > "$work/dovecot/dovecot.conf" <<EOF
# pam_swiftsql e2e: a private Dovecot instance on loopback
protocols = imap
listen = 127.0.0.1
base_dir = $work/dovecot/run
state_dir = $work/dovecot/state
log_path = $work/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
first_valid_uid = $vmail_uid
mail_location = maildir:~/Maildir
!include $work/dovecot/auth-swiftsql.conf.ext
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
# The Dovecot 2.3 example as it is, but for the owner of the mail and its
# folder (this test's own, not vmail and /var/vmail).
sed -e "s|uid=vmail gid=vmail home=/var/vmail/|uid=swiftsql-vmail gid=swiftsql-vmail home=$work/mail/|" \
  "$examples/dovecot-2.3-auth-swiftsql.conf.ext" > "$work/dovecot/auth-swiftsql.conf.ext"
expect "the Dovecot 2.3 example names vmail's uid, gid and home in its userdb" \
  bash -c "! diff -q '$examples/dovecot-2.3-auth-swiftsql.conf.ext' '$work/dovecot/auth-swiftsql.conf.ext' >/dev/null"
doveconf -c "$work/dovecot/dovecot.conf" -n > "$work/doveconf-n.txt" 2>&1
expect_equal "doveconf -n (Dovecot $(dovecot --version | cut -d' ' -f1)) accepts it" 0 $?
expect "  with passdb pam and userdb static" bash -c "grep -q 'driver = pam' '$work/doveconf-n.txt' && grep -q 'driver = static' '$work/doveconf-n.txt'"
mkdir -p "$work/dovecot/state"
dovecot -c "$work/dovecot/dovecot.conf" > "$work/dovecot-start.log" 2>&1 || cat "$work/dovecot-start.log"
wait_for 20 "Dovecot on port $imap_port" port_open "$imap_port" || cat "$work/dovecot/dovecot.log"
dovecot_pid=$(cat "$work/dovecot/run/master.pid" 2>/dev/null)

# ---------------------------------------------------------------------------
step "SMTP AUTH through Postfix, saslauthd, PAM, pam_swiftsql and PostgreSQL"
out=$(swaks_run PLAIN alice@example.org "$password")
expect_contains "without STARTTLS, Postfix offers no AUTH (smtpd_tls_auth_only)" "did not advertise authentication" "$out"
for mechanism in PLAIN LOGIN; do
  case $mechanism in PLAIN) sha_user=alice argon_user=argon ;; LOGIN) sha_user=bob argon_user=ada ;; esac
  expect_equal "SMTP AUTH $mechanism, SHA512-CRYPT, right password: 235" 235 \
    "$(swaks_code "$mechanism" "$sha_user@example.org" "$password")"
  expect_log "  the module answered it (not saslauthd's cache)" "pam_swiftsql(smtp:auth)" "user=$sha_user@example.org" "succeeded"
  expect_equal "SMTP AUTH $mechanism, ARGON2ID, right password: 235" 235 \
    "$(swaks_code "$mechanism" "$argon_user@example.org" "$password")"
  expect_equal "SMTP AUTH $mechanism, wrong password: 535" 535 \
    "$(swaks_code "$mechanism" "$sha_user@example.org" "not the password")"
  expect_equal "SMTP AUTH $mechanism, unknown user: 535" 535 \
    "$(swaks_code "$mechanism" "nobody@example.org" "$password")"
done
expect_log "the log says why: wrong password" "pam_swiftsql(smtp:auth)" "user=alice@example.org" 'reason="wrong password"'
expect_log "the log says why: no such login" "pam_swiftsql(smtp:auth)" "user=nobody@example.org" 'reason="no such login"'

step "IMAP LOGIN through Dovecot, PAM, pam_swiftsql and PostgreSQL"
out=$(imap alice@example.org "$password")
expect_contains "IMAP LOGIN, SHA512-CRYPT, right password: OK" "OK " "$out"
out=$(imap argon@example.org "$password")
expect_contains "IMAP LOGIN, ARGON2ID, right password: OK" "OK " "$out"
out=$(imap alice@example.org "not the password")
expect_contains "IMAP LOGIN, wrong password: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" "$out"
expect_log "  the log says why: wrong password" "pam_swiftsql(dovecot:auth)" "user=alice@example.org" 'reason="wrong password"'
out=$(imap nobody@example.org "$password")
expect_contains "IMAP LOGIN, unknown user: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" "$out"
expect_log "  the log says why: no such login" "pam_swiftsql(dovecot:auth)" "user=nobody@example.org" 'reason="no such login"'

step "pam-swiftsql doctor on this set-up"
has_doctor() {
  pam-swiftsql --experimental-dump-help | python3 -c 'import json, sys
sys.exit(0 if any(c["commandName"] == "doctor" for c in json.load(sys.stdin)["command"].get("subcommands", [])) else 1)'
}
if has_doctor; then
  doctor=$(pam-swiftsql doctor --login dave@example.org -p "$password" 2>&1)
  doctor_status=$?
  printf '%s\n' "$doctor" | sed 's/^/    /'
  expect_equal "pam-swiftsql doctor exits 0" 0 "$doctor_status"
  expect "pam-swiftsql doctor reports no [FAIL]" bash -c "! printf '%s' \"\$1\" | grep -q '\[FAIL\]'" _ "$doctor"
else
  skip "pam-swiftsql doctor: this build has no doctor subcommand yet"
fi

# ---------------------------------------------------------------------------
step "the database stopped: what clients see, what the log says, how fast"
pg_ctlcluster 15 "$cluster" stop -m fast
started=$(now_ms)
code=$(swaks_code PLAIN carol@example.org "$password")
elapsed=$(($(now_ms) - started))
expect_equal "SMTP AUTH PLAIN, right password, database down: 535 (saslauthd only says NO)" 535 "$code"
expect "  answered in ${elapsed} ms, within connect_timeout (${timeout_seconds}s) + 2 s" \
  test "$elapsed" -lt $(((timeout_seconds + 2) * 1000))
expect_log "  the log says the database was unavailable" "pam_swiftsql(smtp:auth)" "user=carol@example.org" \
  'reason="database unavailable'
expect "  and not that the password was wrong" \
  bash -c "! grep -F 'user=carol@example.org' '$syslog_file' | grep -qF 'reason=\"wrong password'"
expect_equal "SMTP AUTH for alice, who logged in before: 235 from saslauthd's -c cache, without PAM" 235 \
  "$(swaks_code LOGIN alice@example.org "$password")"
out=$(pam-swiftsql pam -s smtp -u carol@example.org -p "$password" 2>&1)
expect_contains "pam-swiftsql pam shows the module's real answer: PAM_AUTHINFO_UNAVAIL" \
  "pam_authenticate: PAM_AUTHINFO_UNAVAIL" "$out"
out=$(imap carol@example.org "$password")
expect_contains "IMAP LOGIN, right password, database down: NO [AUTHENTICATIONFAILED] (Dovecot's mapping)" \
  "NO [AUTHENTICATIONFAILED]" "$out"
imap_ms=${out##* }
expect "  answered in ${imap_ms} ms, within connect_timeout + Dovecot's auth_failure_delay (2 s) + 2 s" \
  test "$imap_ms" -lt $(((timeout_seconds + 4) * 1000))
expect_log "  the log says the database was unavailable" "pam_swiftsql(dovecot:auth)" "user=carol@example.org" \
  'reason="database unavailable'

step "the database frozen (SIGSTOP): the answer comes within the timeouts"
pg_ctlcluster 15 "$cluster" start
# Dovecot's auth worker logs carol in first, so that it holds a connection
# to the restarted server: frozen, that is a query that never returns
# (query_timeout); a saslauthd worker's connection died with the old server,
# so there it is a new connection that never completes (connect_timeout).
expect_contains "IMAP LOGIN carol with the database back: OK" "OK " "$(imap carol@example.org "$password")"
frozen=$(pgrep -f "15/$cluster" | tr '\n' ' ')
kill -STOP $frozen
started=$(now_ms)
code=$(swaks_code PLAIN erin@example.org "$password")
elapsed=$(($(now_ms) - started))
expect_equal "SMTP AUTH PLAIN, database frozen: 535" 535 "$code"
expect "  answered in ${elapsed} ms, within the module's timeout (${timeout_seconds}s) + 2 s" \
  test "$elapsed" -lt $(((timeout_seconds + 2) * 1000))
expect_log "  the log says the database was unavailable" "pam_swiftsql(smtp:auth)" "user=erin@example.org" \
  'reason="database unavailable'
out=$(imap erin@example.org "$password")
imap_ms=${out##* }
expect_contains "IMAP LOGIN, database frozen: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" "$out"
expect "  answered in ${imap_ms} ms, within the module's timeout + auth_failure_delay (2 s) + 2 s" \
  test "$imap_ms" -lt $(((timeout_seconds + 4) * 1000))
expect_log "  the log says the database was unavailable" "pam_swiftsql(dovecot:auth)" "user=erin@example.org" \
  'reason="database unavailable'
kill -CONT $frozen
frozen=""

step "the database back: logins work again, nothing restarted"
expect_contains "IMAP LOGIN erin: OK" "OK " "$(imap erin@example.org "$password")"
expect_equal "SMTP AUTH PLAIN erin: 235" 235 "$(swaks_code PLAIN erin@example.org "$password")"
expect_equal "saslauthd is the same process ($saslauthd_pid)" "$saslauthd_pid" "$(cat "$spool_run/saslauthd.pid" 2>/dev/null)"

summary chain
