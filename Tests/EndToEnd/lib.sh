# Shared by the end-to-end scripts (bash): counting checks, waiting, timing,
# and putting back the system files a test replaces.
#
# Each check prints "ok - what" or "not ok - what" (and what was seen); a
# failed check does not stop the script, so one run shows every problem. The
# script's last line is "NAME: N passed, M failed", and it exits non-zero
# when a check failed.

passed=0
failed=0
skipped=0
failures=()

ok() {
  passed=$((passed + 1))
  echo "ok - $*"
}

not_ok() {
  failed=$((failed + 1))
  failures+=("$1")
  echo "not ok - $*"
}

skip() {
  skipped=$((skipped + 1))
  echo "skip - $*"
}

# expect "what" command...: ok when the command succeeds.
expect() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_equal "what" expected actual
expect_equal() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "(expected '$2', got '$3')"; fi
}

# expect_contains "what" needle text
expect_contains() {
  case "$3" in
    *"$2"*) ok "$1" ;;
    *) not_ok "$1" "(no '$2' in: $(printf '%s' "$3" | tail -c 600))" ;;
  esac
}

summary() {
  echo
  if [ "$failed" -gt 0 ]; then
    echo "$1: failed checks:"
    printf '  - %s\n' "${failures[@]}"
  fi
  if [ "$skipped" -gt 0 ]; then
    echo "$1: $passed passed, $failed failed, $skipped skipped"
  else
    echo "$1: $passed passed, $failed failed"
  fi
  [ -n "${E2E_RESULTS:-}" ] && echo "$passed $failed $skipped" >> "$E2E_RESULTS"
  [ "$failed" -eq 0 ]
}

step() {
  printf '\n== %s (%ss)\n' "$*" "$SECONDS"
}

die() {
  echo "error: $*" >&2
  exit 2
}

now_ms() {
  date +%s%3N
}

# wait_for SECONDS "what" command...: retries every 0.1 s.
wait_for() {
  local limit=$1 what=$2 tries
  shift 2
  tries=$((limit * 10))
  while [ "$tries" -gt 0 ]; do
    if "$@" 2>/dev/null; then return 0; fi
    sleep 0.1
    tries=$((tries - 1))
  done
  echo "timed out after ${limit}s waiting for $what" >&2
  return 1
}

# bounded SECONDS command...: the command, killed after SECONDS. Clients
# with no timeout of their own (testsaslauthd reads until the daemon
# answers) go through this, so a daemon that never answers fails one check
# instead of holding the whole run until CI's limit; says so on stderr.
bounded() {
  local limit=$1 status
  shift
  timeout -k 5 "$limit" "$@"
  status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "(no answer: $1 killed after ${limit}s)" >&2
  fi
  return "$status"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Files the test replaces are saved once into $backup_dir and put back (or
# removed, if they did not exist) by restore_files.
saved_files=()
save_file() {
  local path=$1 copy
  copy="$backup_dir/$(printf '%s' "$path" | tr / _)"
  if [ -e "$path" ] || [ -L "$path" ]; then
    cp -a "$path" "$copy"
  else
    : > "$copy.absent"
  fi
  saved_files+=("$path")
}

restore_files() {
  local path copy index
  for ((index = ${#saved_files[@]} - 1; index >= 0; index--)); do
    path=${saved_files[$index]}
    copy="$backup_dir/$(printf '%s' "$path" | tr / _)"
    if [ -e "$copy.absent" ]; then
      rm -rf "$path"
    elif [ -e "$copy" ] || [ -L "$copy" ]; then
      rm -rf "$path"
      cp -a "$copy" "$path"
    fi
  done
  saved_files=()
}

# The syslog lines collected so far that contain every argument.
log_lines() {
  local line pattern
  while IFS= read -r line; do
    for pattern in "$@"; do
      case "$line" in *"$pattern"*) ;; *) continue 2 ;; esac
    done
    printf '%s\n' "$line"
  done < "$syslog_file"
}

# expect_log "what" pattern...: waits up to 5 s for a syslog line with all.
expect_log() {
  local what=$1
  shift
  if wait_for 5 "a syslog line with $*" has_log_line "$@"; then
    ok "$what"
    echo "    $(log_lines "$@" | tail -1 | cut -c1-300)"
  else
    not_ok "$what" "(no syslog line with: $*)"
  fi
}

has_log_line() {
  [ -n "$(log_lines "$@")" ]
}

# Starts the /dev/log listener (syslog-listener.py) into $syslog_file.
start_syslog() {
  : > "$syslog_file"
  coproc SYSLOG { exec python3 "$here/syslog-listener.py" "$syslog_file" 2>&1; }
  syslog_pid=$SYSLOG_PID
  local first
  read -r -t 10 first <&"${SYSLOG[0]}" || first=""
  if [ "$first" != ready ]; then
    echo "$first" >&2
    syslog_pid=""
    die "cannot listen on /dev/log"
  fi
}

stop_syslog() {
  if [ -n "${syslog_pid:-}" ]; then
    kill "$syslog_pid" 2>/dev/null || true
    wait "$syslog_pid" 2>/dev/null || true
    syslog_pid=""
  fi
}

# mail_cluster NAME SCHEMA_FILE DB_PASSWORD: a PostgreSQL cluster of the
# e2e's own, of version $pg_version (default 15, Debian 12's), with no TCP
# (mailauth logs in with a password over the socket), database mail made
# from the example schema. Sets pg_port and cluster_created (the caller's
# teardown drops it); psql_super runs SQL.
mail_cluster() {
  local name=$1 schema=$2 secret=$3 version=${pg_version:-15}
  pg_createcluster "$version" "$name" >"$work/pg-create.log" 2>&1 ||
    { cat "$work/pg-create.log"; die "pg_createcluster failed"; }
  cluster_created=yes
  pg_port=$(pg_lsclusters -h | awk -v c="$name" '$2 == c {print $3}')
  echo "listen_addresses = ''" > "/etc/postgresql/$version/$name/conf.d/swiftsql-e2e.conf"
  sed -i '1i local mail mailauth scram-sha-256' "/etc/postgresql/$version/$name/pg_hba.conf"
  pg_ctlcluster "$version" "$name" start || die "the cluster did not start"
  psql_super -d postgres -c "CREATE DATABASE mail" || die "CREATE DATABASE failed"
  zcat -f "$schema" | psql_super -d mail || die "the example schema failed"
  psql_super -d mail -c "ALTER ROLE mailauth PASSWORD '$secret'"
}

psql_super() { runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$pg_port" "$@"; }

# postfix_configure MAIN_EXAMPLE SASL_FILE PORT=MASTER_EXAMPLE...: Postfix on
# loopback for the e2e: main.cf from the example (with a fresh certificate
# in $work/tls), Debian's master.cf without the public port 25 service plus
# each example's submission service on 127.0.0.1:PORT, the libsasl2 file;
# what it replaces is saved for restore_files. Then starts it and waits for
# every port (sets postfix_started).
postfix_configure() {
  local main_example=$1 sasl_file=$2 pair
  shift 2
  mkdir -p "$work/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mail.example.org" \
    -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" >/dev/null 2>&1
  chmod 0600 "$work/tls/key.pem"
  save_file /etc/postfix/main.cf
  save_file /etc/postfix/master.cf
  save_file /etc/postfix/sasl/smtpd.conf
  [ -f /etc/postfix/master.cf ] || cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
  {
    echo "# pam_swiftsql e2e: loopback only"
    echo "compatibility_level = 3.6"
    echo "myhostname = mail.example.org"
    echo "mydomain = example.org"
    echo "myorigin = \$mydomain"
    echo "mydestination ="
    echo "inet_interfaces = loopback-only"
    echo "inet_protocols = ipv4"
    echo "mynetworks = 127.0.0.0/8"
    # Where libsasl2 finds smtpd.conf: compiled into Debian 12's Postfix,
    # set in Debian 13's main.cf, which this one replaces.
    echo "cyrus_sasl_config_path = /etc/postfix/sasl"
    echo "maillog_file_prefixes = $work"
    echo "maillog_file = $work/postfix.log"
    sed -e "s|^smtpd_tls_cert_file = .*|smtpd_tls_cert_file = $work/tls/cert.pem|" \
      -e "s|^smtpd_tls_key_file = .*|smtpd_tls_key_file = $work/tls/key.pem|" "$main_example"
  } > /etc/postfix/main.cf
  {
    grep -v -E '^smtp +inet ' "$backup_dir/_etc_postfix_master.cf" 2>/dev/null ||
      grep -v -E '^smtp +inet ' /usr/share/postfix/master.cf.dist
    for pair in "$@"; do
      sed -e "s|^submission inet|127.0.0.1:${pair%%=*} inet|" "${pair#*=}"
    done
  } > "$work/master.cf" && install -m 0644 "$work/master.cf" /etc/postfix/master.cf
  install -m 0644 "$sasl_file" /etc/postfix/sasl/smtpd.conf
  postfix check 2>&1 | sed 's/^/    /'
  /usr/lib/postfix/configure-instance.sh - >/dev/null 2>&1
  postfix start > "$work/postfix-start.log" 2>&1 || cat "$work/postfix-start.log"
  postfix_started=yes
  for pair in "$@"; do
    wait_for 20 "Postfix on port ${pair%%=*}" port_open "${pair%%=*}" || cat "$work/postfix.log" 2>/dev/null
  done
}

# SMTP AUTH and IMAP LOGIN as the end-to-end scripts send them, to
# 127.0.0.1:$smtp_port and 127.0.0.1:$imap_port (set by each script, like
# $work and $here).
# swaks_run MECH LOGIN PASSWORD [swaks options]: swaks's whole dialogue.
swaks_run() {
  local mechanism=$1 login=$2 secret=$3
  shift 3
  swaks --server 127.0.0.1 --port "$smtp_port" --helo client.example.org --timeout 30 \
    --auth "$mechanism" --auth-user "$login" --auth-password "$secret" --quit-after AUTH "$@" 2>&1
}

# swaks_code MECH LOGIN PASSWORD: the code of the server's answer to AUTH
# after STARTTLS (after LOGIN's 334 prompts).
swaks_code() {
  swaks_run "$@" --tls | awk '/~> AUTH/ {auth = 1; next}
    auth && match($0, /^ *<~\*? +[0-9][0-9][0-9] /) {
      code = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", code)
      if (code != "334") { print code; exit }
    }'
}

# imap LOGIN PASSWORD: one IMAP LOGIN (imap-login.py; STARTTLS first when
# IMAP_STARTTLS=1) from a client address of its own (127.0.0.N), so that
# Dovecot's delay for addresses that failed before does not add to the
# times measured. It runs in $(...) subshells, so the counter lives in a file.
imap() {
  local client
  client=$(($(cat "$work/imap-client" 2>/dev/null || echo 10) + 1))
  echo "$client" > "$work/imap-client"
  python3 "$here/imap-login.py" 127.0.0.1 "$imap_port" "$1" "$2" "127.0.0.$client"
}

# keep_logs DIR FILE...: the run's logs into DIR (emptied first), then the
# work folder removed; for a teardown.
keep_logs() {
  local destination=$1
  shift
  rm -rf "$destination"
  mkdir -p "$destination"
  cp -a "$@" "$destination"/ 2>/dev/null
  rm -rf "$work"
  echo "(logs kept in $destination)"
}
