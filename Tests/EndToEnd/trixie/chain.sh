#!/bin/bash
# The mail chain on Debian 13, inside the root that Tests/EndToEnd/trixie/run
# made, set up by README.Debian's steps, command by command where a chroot
# allows it:
#
#   swaks ─SMTP AUTH PLAIN/LOGIN after STARTTLS─▶ Postfix 3.10 submission (587, chroot)
#     └ libsasl2 ─▶ saslauthd (saslauthd.service + the example drop-in) -a pam -c -r
#         └ /etc/pam.d/smtp ─▶ pam_swiftsql.so ─▶ PostgreSQL 17, then SQLite
#   imaplib ─STARTTLS, LOGIN─▶ Dovecot 2.4 (143, passdb pam) ─▶ /etc/pam.d/dovecot ─▶ …
#
# It installs the Debian 12 build (/e2e/bookworm) with apt-get, logs in right,
# wrong, unknown and bare, stops and restarts the database, switches to
# SQLite; then moves to the Debian 13 build (/e2e/trixie), removes and
# purges it. There is no systemd in the root: each daemon is started the way
# its unit starts it (ExecStartPre, ExecStart, PIDFile, ExecStartPost,
# RuntimeDirectory, EnvironmentFile, Group; read with unit.py), and
# systemd-analyze verify checks the units. Run by run in namespaces of its
# own (network, PID, mount, UTS), so the standard ports are free here, and
# every process it starts ends with it.
set -uo pipefail

here=/e2e
. "$here/lib.sh"

[ "$(id -u)" = 0 ] || die "chain.sh needs root"
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
deb12=$(ls "$here"/bookworm/libpam-swiftsql_*_"$arch".deb 2>/dev/null | head -1)
deb13=$(ls "$here"/trixie/libpam-swiftsql_*_"$arch".deb 2>/dev/null | head -1)
[ -n "$deb12" ] || die "no Debian 12 build in $here/bookworm"
examples=/usr/share/doc/libpam-swiftsql/examples
password="correct horse battery staple"
db_password="e2e-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
spool_run=/var/spool/postfix/var/run/saslauthd
pg_version=17
# README.Debian's ports (a network namespace of its own: nothing else is
# there), and IMAP with STARTTLS, as Debian's Dovecot allows no cleartext
# LOGIN otherwise.
smtp_port=587
imap_port=143
export IMAP_STARTTLS=1
# The module's default timeouts (README.Debian sets none), and the slack
# for a busy machine.
timeout_seconds=5

work=/e2e/work
logs=/e2e/logs
mkdir -p "$work" "$logs"
backup_dir="$work/backup"
mkdir -p "$backup_dir"
syslog_file="$logs/syslog"
syslog_pid=""
saslauthd_main=""
dovecot_pid=""

teardown() {
  local status=$?
  step "teardown"
  [ -n "$dovecot_pid" ] && kill "$dovecot_pid" 2>/dev/null
  postfix stop >/dev/null 2>&1
  stop_saslauthd
  pg_ctlcluster --skip-systemctl-redirect -m fast "$pg_version" main stop >/dev/null 2>&1
  stop_syslog
  cp -a /var/log/dovecot*.log "$logs"/ 2>/dev/null
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# A systemd service started the way systemd starts it, for the parts the
# units here use: RuntimeDirectory (made root:<Group> 0755, emptied at stop),
# ExecStartPre, ExecStart with EnvironmentFile's variables, Group, a clean
# environment, Type=forking with PIDFile (systemd waits up to 90 s for the
# file; here UNIT_TIMEOUT seconds), ExecStartPost.
UNIT_TIMEOUT=10
unit_runtime_dirs=()
unit_start() {
  local unit=$1 group dir index count pidfile argv
  group=$(python3 "$here/unit.py" get "$unit" Group | tail -1)
  for dir in $(python3 "$here/unit.py" get "$unit" RuntimeDirectory); do
    rm -rf "/run/$dir"
    install -d -o root -g "${group:-root}" -m 0755 "/run/$dir"
    unit_runtime_dirs+=("/run/$dir")
  done
  count=$(python3 "$here/unit.py" get "$unit" ExecStartPre | wc -l)
  for ((index = 0; index < count; index++)); do
    mapfile -d '' argv < <(python3 "$here/unit.py" argv "$unit" ExecStartPre "$index")
    unit_exec "$group" "${argv[@]}" || { echo "    $unit: ExecStartPre ${argv[*]} failed"; return 1; }
  done
  mapfile -d '' argv < <(python3 "$here/unit.py" argv "$unit" ExecStart)
  echo "    $unit: ExecStart: ${argv[*]}"
  unit_exec "$group" "${argv[@]}" || { echo "    $unit: ExecStart exited non-zero"; return 1; }
  pidfile=$(python3 "$here/unit.py" get "$unit" PIDFile | tail -1)
  pidfile=${pidfile/#\/var\/run\//\/run\/}
  if [ -n "$pidfile" ]; then
    if ! wait_for "$UNIT_TIMEOUT" "$unit's PIDFile $pidfile" test -s "$pidfile"; then
      echo "    $unit: no $pidfile: systemd would wait for it until TimeoutStartSec (90 s), then stop the service"
      return 1
    fi
    unit_main_pid=$(cat "$pidfile")
  fi
  count=$(python3 "$here/unit.py" get "$unit" ExecStartPost | wc -l)
  for ((index = 0; index < count; index++)); do
    mapfile -d '' argv < <(python3 "$here/unit.py" argv "$unit" ExecStartPost "$index")
    unit_exec "$group" "${argv[@]}" || { echo "    $unit: ExecStartPost ${argv[*]} failed"; return 1; }
  done
}

# unit_exec GROUP COMMAND...: as systemd runs it (clean environment, the
# unit's group, a session of its own: saslauthd signals its process group).
unit_exec() {
  local group=$1
  shift
  if [ -n "$group" ]; then
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin LANG=C.UTF-8 \
      setsid setpriv --regid "$group" --clear-groups "$@" < /dev/null >> "$logs/units.log" 2>&1
  else
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin LANG=C.UTF-8 \
      setsid "$@" < /dev/null >> "$logs/units.log" 2>&1
  fi
}

stop_saslauthd() {
  local pid
  for pid in $(pgrep -x saslauthd); do kill "$pid" 2>/dev/null; done
  wait_for 5 "saslauthd to exit" bash -c '! pgrep -x saslauthd >/dev/null' 2>/dev/null || pkill -9 -x saslauthd
  local dir
  for dir in "${unit_runtime_dirs[@]}"; do rm -rf "$dir"; done
  unit_runtime_dirs=()
  saslauthd_main=""
}

start_saslauthd() {
  unit_main_pid=""
  unit_start saslauthd.service || return 1
  saslauthd_main=$unit_main_pid
}

start_postgresql() {
  # postgresql@.service: ExecStart=-/usr/bin/pg_ctlcluster --skip-systemctl-redirect %i start
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start >> "$logs/units.log" 2>&1
}

stop_postgresql() {
  # ExecStop=/usr/bin/pg_ctlcluster --skip-systemctl-redirect -m fast %i stop
  pg_ctlcluster --skip-systemctl-redirect -m fast "$pg_version" main stop >> "$logs/units.log" 2>&1
}

# A syslog line of the module names the login either bare or quoted.
expect_module_log() {
  local what=$1 service=$2 login=$3 reason=$4
  if wait_for 5 "a syslog line" bash -c "grep -F 'pam_swiftsql($service:auth)' '$syslog_file' |
      grep -E 'user=\"?$login\"?( |$)' | grep -qF '$reason'"; then
    ok "$what"
    echo "    $(grep -F "pam_swiftsql($service:auth)" "$syslog_file" | grep -F "$login" | tail -1 | cut -c1-300)"
  else
    not_ok "$what" "(no pam_swiftsql($service:auth) line for $login with: $reason)"
  fi
}

# ---------------------------------------------------------------------------
step "preflight: Debian $(cat /etc/debian_version), $(hostname), loopback of its own"
start_syslog
listening=""
for port in 25 587 143; do port_open "$port" 2>/dev/null && listening="$listening $port"; done
expect_equal "nothing listens on 25, 587 or 143 in this network namespace" "" "$listening"
expect_equal "PostgreSQL $pg_version is Debian 13's" "$pg_version" "$(ls /usr/lib/postgresql | sort -n | tail -1)"
echo "    $(postconf -h mail_version | sed 's/^/Postfix /'), Dovecot $(dovecot --version | cut -d' ' -f1), $(systemd-analyze --version | head -1)"
pam_dir=$(dirname "$(dpkg -L libpam-modules | grep '/security/pam_unix.so$' | head -1)")
expect_equal "libpam-modules keeps its modules in /usr/lib/$multiarch/security" "/usr/lib/$multiarch/security" "$pam_dir"

# ---------------------------------------------------------------------------
step "README.Debian step 1: apt-get install the Debian 12 build ($(basename "$deb12"))"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "$deb12" > "$logs/apt-install.log" 2>&1 || cat "$logs/apt-install.log"
expect_equal "dpkg -s: installed" "install ok installed" "$(dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null)"
expect "dpkg -L lists /lib/$multiarch/security/pam_swiftsql.so (where Debian 12's libpam-modules keeps them)" \
  bash -c "dpkg -L libpam-swiftsql | grep -qx /lib/$multiarch/security/pam_swiftsql.so"
expect "  which is $pam_dir/pam_swiftsql.so through the /lib link" test -f "$pam_dir/pam_swiftsql.so"
expect_equal "/etc/pam_swiftsql.conf is 0640 root:sasl" "640 root sasl" "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"
for page in pam_swiftsql.8 pam_swiftsql.conf.5 pam-swiftsql.8; do
  expect "man -w ${page##*.} ${page%.*} finds the page" \
    bash -c "man -w ${page##*.} ${page%.*} | grep -q '/usr/share/man/man${page##*.}/$page'"
done
for example in saslauthd saslauthd-postfix-chroot.service.conf saslauthd-postfix-chroot.tmpfiles.conf \
  postfix-sasl-smtpd.conf postfix-master.cf postfix-main.cf dovecot-2.4-auth-swiftsql.conf.ext \
  dovecot-2.3-auth-swiftsql.conf.ext schema-pgsql.sql schema-sqlite.sql pam.d/smtp pam.d/dovecot; do
  expect "example $example is installed, uncompressed" test -f "$examples/$example"
done
mkdir -p "$work/pam-closed"
printf 'auth required pam_swiftsql.so\naccount required pam_swiftsql.so\n' > "$work/pam-closed/closed"
out=$(pam-swiftsql pam --confdir "$work/pam-closed" -s closed -u alice@example.org -p "$password" 2>&1)
expect_contains "as shipped, the module refuses: PAM_SERVICE_ERR" "pam_authenticate: PAM_SERVICE_ERR" "$out"
expect_log "  and the log says what to set" "pam_swiftsql(closed:auth)" "connect is not set"

# ---------------------------------------------------------------------------
step "README.Debian step 2: PostgreSQL $pg_version, database mail, table users, role mailauth"
start_postgresql || cat "$logs/units.log"
expect "the cluster $pg_version/main runs" bash -c "pg_lsclusters -h | awk '\$1 == $pg_version && \$2 == \"main\" {print \$4}' | grep -qx online"
runuser -u postgres -- createdb mail
runuser -u postgres -- psql -q -d mail -f "$examples/schema-pgsql.sql"
runuser -u postgres -- psql -q -d mail -c "ALTER ROLE mailauth PASSWORD '$db_password'"
hash_of() { printf '%s\n' "$password" | pam-swiftsql hash -s "$1"; }
for user in alice:SHA512-CRYPT bob:SHA512-CRYPT argon:ARGON2ID ada:ARGON2ID carol:SHA512-CRYPT dave:SHA512-CRYPT \
  erin:SHA512-CRYPT; do
  hash=$(hash_of "${user#*:}")
  runuser -u postgres -- psql -q -d mail -c \
    "INSERT INTO users (username, domain, password) VALUES ('${user%%:*}', 'example.org', '$hash')"
done
expect_equal "7 users in mail.users (hashes by pam-swiftsql hash)" 7 \
  "$(runuser -u postgres -- psql -X -A -t -d mail -c 'SELECT count(*) FROM users')"

step "README.Debian step 3: /etc/pam_swiftsql.conf, the three lines uncommented"
sed -i -e 's/^#driver = pgsql$/driver = pgsql/' \
  -e "s/^#connect = \(host=.*\)password=secret$/connect = \1password=$db_password/" \
  -e 's/^#password_query = /password_query = /' /etc/pam_swiftsql.conf
expect_equal "driver, connect and password_query set, nothing else" 3 "$(grep -c -v -e '^#' -e '^$' /etc/pam_swiftsql.conf)"
expect_equal "  and the file is still 0640 root:sasl" "640 root sasl" "$(stat -c '%a %U %G' /etc/pam_swiftsql.conf)"

step "README.Debian step 4: the PAM services"
cp "$examples/pam.d/smtp" /etc/pam.d/smtp
cp "$examples/pam.d/dovecot" /etc/pam.d/dovecot
# Before step 2's pg_hba.conf line: Debian's "local all all peer" refuses
# mailauth, and the doctor names the line to add.
out=$(pam-swiftsql pam -s smtp -u alice@example.org -p "$password" 2>&1)
expect_contains "without the pg_hba.conf line: PAM_AUTHINFO_UNAVAIL" "pam_authenticate: PAM_AUTHINFO_UNAVAIL" "$out"
expect_module_log "  the log says the database was unavailable" smtp alice@example.org "database unavailable"
doctor=$(pam-swiftsql doctor 2>&1)
printf '%s\n' "$doctor" | grep -A2 '\] database' | sed 's/^/    /'
expect_contains "  pam-swiftsql doctor names the pg_hba.conf line to add" "local   mail   mailauth   scram-sha-256" "$doctor"
hba=/etc/postgresql/$pg_version/main/pg_hba.conf
sed -i '/^local[[:space:]]\+all[[:space:]]\+all[[:space:]]\+peer/i local   mail   mailauth   scram-sha-256' "$hba"
pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
out=$(pam-swiftsql pam -s smtp -u alice@example.org -p "$password" 2>&1)
expect_contains "with it (README.Debian step 2): pam-swiftsql pam -s smtp accepts alice@example.org" \
  "pam_acct_mgmt: PAM_SUCCESS" "$out"

# ---------------------------------------------------------------------------
step "README.Debian step 5: saslauthd through saslauthd.service"
cp "$examples/saslauthd" /etc/default/saslauthd
adduser --quiet postfix sasl
expect "postfix is in group sasl" bash -c "id -nG postfix | tr ' ' '\n' | grep -qx sasl"
python3 "$here/unit.py" cat saslauthd.service > "$logs/saslauthd.service.before"
# Debian's unit alone, with the socket in the chroot: what the drop-in fixes.
UNIT_TIMEOUT=3
start_saslauthd > "$work/without-dropin.log" 2>&1
without=$?
UNIT_TIMEOUT=10
sed 's/^/    /' "$work/without-dropin.log"
expect "without the drop-in, Debian's unit does not start saslauthd with -m $spool_run" test "$without" != 0
stop_saslauthd
mkdir -p /etc/systemd/system/saslauthd.service.d
cp "$examples/saslauthd-postfix-chroot.service.conf" /etc/systemd/system/saslauthd.service.d/postfix-chroot.conf
systemctl daemon-reload > /dev/null 2>&1
systemctl enable saslauthd > "$work/enable.log" 2>&1
expect "systemctl enable saslauthd: multi-user.target wants it" \
  test -L /etc/systemd/system/multi-user.target.wants/saslauthd.service
verify=$(systemd-analyze verify saslauthd.service 2>&1)
verify_status=$?
printf '%s\n' "$verify" | sed 's/^/    /'
expect_equal "systemd-analyze verify saslauthd.service (with the drop-in) exits 0" 0 "$verify_status"
expect "  and says nothing about the drop-in" bash -c "! grep -q postfix-chroot.conf <<<\"\$1\"" _ "$verify"
expect_equal "the unit's RuntimeDirectory is saslauthd (/run/saslauthd)" saslauthd \
  "$(python3 "$here/unit.py" get saslauthd.service RuntimeDirectory | tail -1)"
expect_equal "the drop-in's PIDFile is in the -m directory" "$spool_run/saslauthd.pid" \
  "$(python3 "$here/unit.py" get saslauthd.service PIDFile | tail -1)"
python3 "$here/unit.py" cat saslauthd.service > "$logs/saslauthd.service"
start_saslauthd || cat "$logs/units.log"
expect "saslauthd.service started (pid file $spool_run/saslauthd.pid: ${saslauthd_main:-none})" \
  bash -c "[ -n '$saslauthd_main' ] && kill -0 '$saslauthd_main'"
echo "    $(tr '\0' ' ' < "/proc/$saslauthd_main/cmdline" 2>/dev/null)"
expect_equal "the socket directory is root:sasl 0710 (ExecStartPre)" "710 root sasl" "$(stat -c '%a %U %G' "$spool_run")"
expect_equal "/run/saslauthd/mux links to the socket (ExecStartPost)" "$spool_run/mux" "$(readlink /run/saslauthd/mux)"
expect_equal "pam-swiftsql test -s smtp -u alice -r example.org (the default socket): OK" '0: OK "Success."' \
  "$(pam-swiftsql test -s smtp -u alice -r example.org -p "$password" 2>&1)"
expect_contains "testsaslauthd (its default socket, too): OK" "OK" \
  "$(bounded 30 testsaslauthd -s smtp -u alice -r example.org -p "$password" 2>&1)"
expect_equal "a bare login with its realm (dave + example.org, joined by -r): OK" '0: OK "Success."' \
  "$(pam-swiftsql test -f "$spool_run/mux" -s smtp -u dave -r example.org -p "$password" 2>&1)"

# ---------------------------------------------------------------------------
step "README.Debian step 6: Postfix, submission on 587"
cp "$examples/postfix-sasl-smtpd.conf" /etc/postfix/sasl/smtpd.conf
cat "$examples/postfix-master.cf" >> /etc/postfix/master.cf
postconf -e smtpd_tls_auth_only=yes
echo "    $(postconf -n | grep -c .) main.cf settings; submission: $(postconf -M submission/inet | cut -c1-60)"
# postfix@-.service: ExecStartPre=+postfix check, then ExecStart=postfix
# debian-systemd-start (Type=forking), which refuses to run outside systemd
# (no /run/systemd/system, no INVOCATION_ID) and otherwise runs master -w,
# as postfix start does.
postfix check > "$logs/postfix-check.log" 2>&1
expect_equal "postfix check (the unit's ExecStartPre) exits 0" 0 $?
expect "  and warns of nothing" bash -c "! grep -q -i -e warning -e fatal '$logs/postfix-check.log'"
postfix start >> "$logs/units.log" 2>&1
wait_for 20 "Postfix on 587" port_open 587 || tail -20 /var/log/mail.log 2>/dev/null
out=$(swaks_run PLAIN alice@example.org "$password")
expect_contains "without STARTTLS, no AUTH (smtpd_tls_auth_only)" "did not advertise authentication" "$out"
for mechanism in PLAIN LOGIN; do
  case $mechanism in PLAIN) sha_user=alice argon_user=argon ;; LOGIN) sha_user=bob argon_user=ada ;; esac
  expect_equal "SMTP AUTH $mechanism, SHA512-CRYPT, right password: 235" 235 \
    "$(swaks_code "$mechanism" "$sha_user@example.org" "$password")"
  expect_equal "SMTP AUTH $mechanism, ARGON2ID, right password: 235" 235 \
    "$(swaks_code "$mechanism" "$argon_user@example.org" "$password")"
  expect_equal "SMTP AUTH $mechanism, wrong password: 535" 535 \
    "$(swaks_code "$mechanism" "$sha_user@example.org" "not the password")"
  expect_equal "SMTP AUTH $mechanism, unknown user: 535" 535 "$(swaks_code "$mechanism" nobody@example.org "$password")"
done
expect_module_log "the log says why: wrong password" smtp alice@example.org "wrong password"
expect_module_log "the log says why: no such login" smtp nobody@example.org "no such login"
expect_equal "SMTP AUTH PLAIN, a bare login (dave, no realm): 535" 535 "$(swaks_code PLAIN dave "$password")"
expect_module_log "  the log says it has no domain" smtp dave "@domain"

# ---------------------------------------------------------------------------
step "README.Debian step 7: Dovecot 2.4, passdb pam, userdb static"
adduser --quiet --system --group --uid 5000 --home /var/vmail vmail
expect_equal "vmail is uid 5000" 5000 "$(id -u vmail)"
cp "$examples/dovecot-2.4-auth-swiftsql.conf.ext" /etc/dovecot/conf.d/auth-swiftsql.conf.ext
sed -i 's/^!include auth-system.conf.ext/#&\n!include auth-swiftsql.conf.ext/' /etc/dovecot/conf.d/10-auth.conf
doveconf -n > "$logs/doveconf-n.txt" 2>&1
expect_equal "doveconf -n (Dovecot $(dovecot --version | cut -d' ' -f1)) accepts the configuration" 0 $?
expect "  with passdb pam and userdb static" bash -c "grep -qx 'passdb pam {' '$logs/doveconf-n.txt' && grep -qx 'userdb static {' '$logs/doveconf-n.txt'"
expect "  and no passdb or userdb of the system users" bash -c "! grep -q 'userdb passwd' '$logs/doveconf-n.txt'"
mkdir -p "$work/dovecot23"
printf 'dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\n!include %s\n' \
  "$examples/dovecot-2.3-auth-swiftsql.conf.ext" > "$work/dovecot23/dovecot.conf"
out=$(doveconf -c "$work/dovecot23/dovecot.conf" -n 2>&1)
expect_contains "Dovecot 2.4 refuses the 2.3 example, as README.Debian says" "missing section name" "$out"
# dovecot.service: Type=notify, ExecStart=/usr/sbin/dovecot -F
setsid dovecot -F < /dev/null >> "$logs/units.log" 2>&1 &
dovecot_pid=$!
wait_for 20 "Dovecot on 143" port_open 143 || tail -20 "$logs/units.log"
out=$(doveadm auth test alice@example.org "$password" 2>&1)
expect_contains "doveadm auth test alice@example.org: auth succeeded" "auth succeeded" "$out"
out=$(imap alice@example.org "$password")
expect_contains "IMAP STARTTLS + LOGIN, SHA512-CRYPT, right password: OK" "OK " "$out"
out=$(IMAP_SELECT=1 imap alice@example.org "$password")
expect_contains "  and SELECT INBOX: the static userdb's uid, gid, home and maildir work" "OK SELECT-INBOX-OK" "$out"
expect_equal "  alice's Maildir is /var/vmail/example.org/alice/Maildir, owned by vmail" vmail \
  "$(stat -c %U /var/vmail/example.org/alice/Maildir 2>/dev/null)"
expect_contains "IMAP LOGIN, ARGON2ID, right password: OK" "OK " "$(imap argon@example.org "$password")"
expect_contains "IMAP LOGIN, wrong password: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" \
  "$(imap alice@example.org "not the password")"
expect_module_log "  the log says why: wrong password" dovecot alice@example.org "wrong password"
expect_contains "IMAP LOGIN, unknown user: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" \
  "$(imap nobody@example.org "$password")"
expect_module_log "  the log says why: no such login" dovecot nobody@example.org "no such login"

step "README.Debian step 8: pam-swiftsql doctor"
doctor=$(pam-swiftsql doctor --login dave@example.org -p "$password" 2>&1)
doctor_status=$?
printf '%s\n' "$doctor" | sed 's/^/    /'
expect_equal "pam-swiftsql doctor exits 0" 0 "$doctor_status"
expect "  and reports no [FAIL]" bash -c "! grep -q '\[FAIL\]' <<<\"\$1\"" _ "$doctor"
expect_contains "  it read saslauthd.service and the drop-in" "postfix-chroot.conf" "$doctor"

# ---------------------------------------------------------------------------
step "the database stopped, then started again"
stop_postgresql
started=$(now_ms)
code=$(swaks_code PLAIN carol@example.org "$password")
elapsed=$(($(now_ms) - started))
expect_equal "SMTP AUTH PLAIN, database down: 535" 535 "$code"
expect "  answered in ${elapsed} ms, within connect_timeout (${timeout_seconds} s) + 2 s" \
  test "$elapsed" -lt $(((timeout_seconds + 2) * 1000))
expect_module_log "  the log says the database was unavailable" smtp carol@example.org "database unavailable"
expect_equal "SMTP AUTH for alice, who logged in before: 235 from saslauthd's -c cache" 235 \
  "$(swaks_code LOGIN alice@example.org "$password")"
out=$(pam-swiftsql pam -s smtp -u carol@example.org -p "$password" 2>&1)
expect_contains "pam-swiftsql pam: PAM_AUTHINFO_UNAVAIL" "pam_authenticate: PAM_AUTHINFO_UNAVAIL" "$out"
out=$(imap carol@example.org "$password")
expect_contains "IMAP LOGIN, database down: NO [AUTHENTICATIONFAILED]" "NO [AUTHENTICATIONFAILED]" "$out"
imap_ms=${out##* }
expect "  answered in ${imap_ms} ms, within connect_timeout + auth_failure_delay (2 s) + 2 s" \
  test "$imap_ms" -lt $(((timeout_seconds + 4) * 1000))
expect_module_log "  the log says the database was unavailable" dovecot carol@example.org "database unavailable"
start_postgresql
expect_contains "the database back: IMAP LOGIN carol: OK" "OK " "$(imap carol@example.org "$password")"
expect_equal "  SMTP AUTH PLAIN carol: 235" 235 "$(swaks_code PLAIN carol@example.org "$password")"
expect_equal "  saslauthd is the same process" "$saslauthd_main" "$(cat "$spool_run/saslauthd.pid" 2>/dev/null)"

# ---------------------------------------------------------------------------
step "SQLite instead (examples/schema-sqlite.sql), the same queries"
install -d -m 0700 /var/lib/pam-swiftsql
sqlite3 /var/lib/pam-swiftsql/users.db < "$examples/schema-sqlite.sql"
sqlite3 /var/lib/pam-swiftsql/users.db \
  "INSERT INTO users (username, domain, password) VALUES ('frank', 'example.org', '$(hash_of SHA512-CRYPT)')"
sed -i -e 's/^driver = pgsql$/driver = sqlite/' -e 's|^connect = .*|connect = /var/lib/pam-swiftsql/users.db|' \
  /etc/pam_swiftsql.conf
expect_equal "SMTP AUTH PLAIN frank (SQLite), right password: 235 (no restart: the file is read again)" 235 \
  "$(swaks_code PLAIN frank@example.org "$password")"
expect_equal "SMTP AUTH PLAIN frank, wrong password: 535" 535 "$(swaks_code PLAIN frank@example.org "not the password")"
expect_equal "SMTP AUTH PLAIN erin (only in PostgreSQL): 535" 535 "$(swaks_code PLAIN erin@example.org "$password")"
expect_contains "IMAP LOGIN frank: OK" "OK " "$(imap frank@example.org "$password")"

# ---------------------------------------------------------------------------
step "the Debian 13 build over the Debian 12 build: the module moves from /lib to /usr/lib"
if [ -z "$deb13" ]; then
  not_ok "there is no Debian 13 build to install"
else
  edited=$(sha256sum < /etc/pam_swiftsql.conf)
  apt-get install -y -q --reinstall "$deb13" > "$logs/apt-upgrade.log" 2>&1 || cat "$logs/apt-upgrade.log"
  expect "dpkg -L lists /usr/lib/$multiarch/security/pam_swiftsql.so" \
    bash -c "dpkg -L libpam-swiftsql | grep -qx /usr/lib/$multiarch/security/pam_swiftsql.so"
  expect "  and not /lib/$multiarch/security/pam_swiftsql.so" \
    bash -c "! dpkg -L libpam-swiftsql | grep -qx /lib/$multiarch/security/pam_swiftsql.so"
  expect "the module is still there (dpkg kept the file it saw under two names)" test -f "$pam_dir/pam_swiftsql.so"
  grep -i warning "$logs/apt-upgrade.log" | sed 's/^/    /'
  # dpkg cannot remove the Debian 12 build's directories, which are Debian
  # 13's /usr/lib ones under their old names (README.Debian says so).
  expect_equal "dpkg warns only that the old /lib directories are not empty" "" \
    "$(grep -i warning "$logs/apt-upgrade.log" | grep -v -E "unable to delete old directory '/lib(/$multiarch(/security)?)?': Directory not empty")"
  expect_equal "the administrator's /etc/pam_swiftsql.conf is kept" "$edited" "$(sha256sum < /etc/pam_swiftsql.conf)"
  stop_saslauthd
  start_saslauthd || cat "$logs/units.log"
  expect_equal "after restarting saslauthd (README.Debian, Upgrades): SMTP AUTH PLAIN frank: 235" 235 \
    "$(swaks_code PLAIN frank@example.org "$password")"
  expect_contains "IMAP LOGIN frank: OK" "OK " "$(imap frank@example.org "$password")"
fi

step "remove and purge"
kill "$dovecot_pid" 2>/dev/null
dovecot_pid=""
stop_saslauthd
apt-get remove -y -q libpam-swiftsql > "$logs/remove.log" 2>&1 || cat "$logs/remove.log"
expect_equal "dpkg -s: deinstall ok config-files" "deinstall ok config-files" \
  "$(dpkg-query -W -f='${Status}' libpam-swiftsql 2>/dev/null)"
expect "the module is gone" test ! -e "$pam_dir/pam_swiftsql.so"
expect "/etc/pam_swiftsql.conf stays" test -f /etc/pam_swiftsql.conf
apt-get purge -y -q libpam-swiftsql > "$logs/purge.log" 2>&1 || cat "$logs/purge.log"
sed 's/^/    /' "$logs/purge.log" | grep -i -e warn -e 'not empty' || true
expect "purge: no warning" bash -c "! grep -qi -e warning -e 'not empty' '$logs/purge.log'"
expect "the conffile is gone" test ! -e /etc/pam_swiftsql.conf
expect "libpam-modules' pam_unix.so is untouched" test -f "$pam_dir/pam_unix.so"

step "the Debian 12 build purged on Debian 13 (README.Debian, Upgrades)"
apt-get install -y -q "$deb12" > "$logs/apt-install-again.log" 2>&1 || cat "$logs/apt-install-again.log"
apt-get purge -y -q libpam-swiftsql > "$logs/purge12.log" 2>&1 || cat "$logs/purge12.log"
grep -i warning "$logs/purge12.log" | sed 's/^/    /'
expect "dpkg -s: not installed" bash -c "! dpkg -s libpam-swiftsql >/dev/null 2>&1"
expect "  the module is gone" test ! -e "$pam_dir/pam_swiftsql.so"
expect "  libpam-modules' pam_unix.so is untouched" test -f "$pam_dir/pam_unix.so"

summary chain
