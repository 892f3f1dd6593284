#!/bin/sh
# make demo: authenticate a demo user stored in SQLite through the real PAM
# stack and through a real saslauthd, and print what happens at each step.
# Needs root (it writes /etc/pam.d/<service> and starts saslauthd) and what
# `make` built (in the folder given as the argument, default build/).
# Everything it creates is removed when it ends.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && cd "${1:-build}" && pwd)
module="$build/pam_swiftsql.so"
tool="$build/pam-swiftsql"
login="demo@example.org"
password="demo-password"
service="pam_swiftsql-demo-$$"

if [ "$(id -u)" != 0 ]; then
  echo "make demo needs root: it writes /etc/pam.d/$service and starts saslauthd." >&2
  exit 1
fi
for file in "$module" "$tool"; do
  [ -e "$file" ] || { echo "$file is missing: run make first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/pam_swiftsql-demo.XXXXXX)
saslauthd_pid=""
cleanup() {
  if [ -n "$saslauthd_pid" ]; then kill "$saslauthd_pid" 2>/dev/null || true; fi
  rm -f "/etc/pam.d/$service"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }

step "1. An SQLite database with one user, its password hashed with yescrypt (mkpasswd)"
hash=$(printf '%s\n' "$password" | mkpasswd -m yescrypt -s)
sqlite3 "$work/users.db" <<SQL
CREATE TABLE users (username TEXT NOT NULL, domain TEXT NOT NULL, password TEXT,
                    active BOOLEAN NOT NULL DEFAULT 1, PRIMARY KEY (username, domain));
INSERT INTO users (username, domain, password) VALUES ('demo', 'example.org', '$hash');
SQL
show sqlite3 -header "$work/users.db" "SELECT username, domain, substr(password, 1, 7) || '…' AS password, active FROM users"

step "2. The module's configuration ($work/pam_swiftsql.conf, mode 0600)"
cat > "$work/pam_swiftsql.conf" <<CONF
driver = sqlite
connect = $work/users.db
password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
account_query = SELECT active FROM users WHERE username = '%n' AND domain = '%d'
CONF
chmod 0600 "$work/pam_swiftsql.conf"
cat "$work/pam_swiftsql.conf"

step "3. A PAM service that uses it (/etc/pam.d/$service)"
cat > "/etc/pam.d/$service" <<PAM
auth     required  $module config=$work/pam_swiftsql.conf
account  required  $module config=$work/pam_swiftsql.conf
PAM
cat "/etc/pam.d/$service"

step "4. Through the real PAM stack (libpam loads the module)"
show "$tool" pam -s "$service" -u "$login" -p "$password"
echo "-- and with a wrong password:"
show "$tool" pam -s "$service" -u "$login" -p "not-the-password"

step "5. A private saslauthd (-a pam -r, socket in $work/run), as Postfix would use it"
mkdir -p "$work/run"
setsid -f saslauthd -a pam -r -m "$work/run" -n 1 -d > "$work/saslauthd.log" 2>&1 < /dev/null
for _ in $(seq 50); do [ -S "$work/run/mux" ] && break; sleep 0.1; done
saslauthd_pid=$(pgrep -f "saslauthd -a pam -r -m $work/run" | head -1)
echo "saslauthd is running (pid $saslauthd_pid), socket $work/run/mux"

step "6. pam-swiftsql test: a testsaslauthd-compatible client that shows saslauthd's real answer"
show "$tool" test -f "$work/run/mux" -s "$service" -u "$login" -p "$password"
echo "-- the login and realm separately, as Postfix's libsasl2 sends them (-r joins them again):"
show "$tool" test -f "$work/run/mux" -s "$service" -u demo -r example.org -p "$password"
echo "-- a wrong password:"
show "$tool" test -f "$work/run/mux" -s "$service" -u "$login" -p "not-the-password"

step "7. Debian's testsaslauthd against the same daemon"
show testsaslauthd -f "$work/run/mux" -s "$service" -u demo -r example.org -p "$password"
echo "-- a wrong password (testsaslauthd hides saslauthd's reason):"
show testsaslauthd -f "$work/run/mux" -s "$service" -u "$login" -p "not-the-password"

step "Done: the demo's service file, database and saslauthd are removed."
