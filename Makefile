# pam_swiftsql — the two commands of the README, and the pieces they use.
#
#   make          build build/pam_swiftsql.so and build/pam-swiftsql
#   make demo     build, then authenticate a demo user through PAM and saslauthd
#   make check    every test, and the style check (CI runs this, then make e2e: see .ci/run)
#   make deb      the Debian package libpam-swiftsql, from a clean copy, checked by lintian
#   make e2e      install that package, then Postfix, Dovecot, saslauthd and PostgreSQL
#                 against it, end to end; then its install/upgrade/remove/purge cycle
#
# Every target installs the Debian packages it needs when they are missing.

SWIFT ?= swift
# Where the artifacts go, and SwiftPM's scratch folder. Two people (or a
# packaging run) working in one checkout give each their own pair, e.g.
#   make check BUILD=build-alice SCRATCH=.build-alice
BUILD ?= build
SCRATCH ?= .build
# The module and the tool embed the Swift runtime (DESIGN.md §2): they need
# nothing from the Swift toolchain on the machine they run on.
RELEASE := -c release -Xswiftc -static-stdlib --scratch-path $(SCRATCH)
# More flags for `swift build`: debian/rules passes the hardening linker flags
# and --disable-local-rpath here.
SWIFT_BUILD_FLAGS ?=

BUILD_DEPS := libpam0g-dev libpq-dev libsqlite3-dev libcrypt-dev libssl-dev libargon2-dev libmariadb-dev
DEMO_DEPS := sasl2-bin sqlite3 whois
TEST_DEPS := postgresql sasl2-bin sqlite3 whois dovecot-core strace procps binutils gcc libc6-dev libpam0g-dev python3 man-db mariadb-server
# make deb: debhelper and lintian (debian/control Build-Depends: BUILD_DEPS and python3).
DEB_DEPS := build-essential debhelper fakeroot lintian python3 man-db
# make e2e: the real mail chain (Postfix is preseeded to "No configuration").
# libsasl2-modules has the PLAIN and LOGIN mechanisms for Postfix's smtpd,
# libnet-ssleay-perl swaks's STARTTLS (both only Recommended, so named here).
E2E_DEPS := postgresql sasl2-bin postfix libsasl2-modules dovecot-core dovecot-imapd swaks libnet-ssleay-perl \
  sqlite3 openssl procps python3 man-db
# Where make deb puts the clean copy it builds from, and the packages.
DEB_OUT = $(BUILD)/deb

.PHONY: all build deps-build deps-demo deps-test demo check unit-test lint format clean
.PHONY: man package-check deps-deb deb deps-e2e e2e

all: build

deps-build:
	@scripts/install-deps.sh $(BUILD_DEPS)

deps-demo:
	@scripts/install-deps.sh $(BUILD_DEPS) $(DEMO_DEPS)

deps-test:
	@scripts/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

build: deps-build
	$(SWIFT) build $(RELEASE) $(SWIFT_BUILD_FLAGS)
	mkdir -p $(BUILD)
	install -m 0644 $(SCRATCH)/release/libpam_swiftsql.so $(BUILD)/pam_swiftsql.so
	install -m 0755 $(SCRATCH)/release/pam-swiftsql $(BUILD)/pam-swiftsql

demo: deps-demo build
	scripts/demo.sh $(BUILD)

# The unit tests need no root and no servers; the integration tests start
# PostgreSQL, saslauthd and the rest themselves and use build/.
check: deps-test build lint package-check
	PAM_SWIFTSQL_BUILD=$(abspath $(BUILD)) $(SWIFT) test --scratch-path $(SCRATCH)

unit-test:
	$(SWIFT) test --scratch-path $(SCRATCH) --filter 'SwiftSQLCoreTests|SaslauthdClientTests'

# One style for everyone: .swift-format. `make format` rewrites in place.
lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

clean:
	rm -rf $(BUILD) $(SCRATCH)

# The man pages, in $(BUILD)/man: pam_swiftsql(8) and pam_swiftsql.conf(5) as
# written, pam-swiftsql(8) from its frame and the built tool's own
# description of its subcommands and options.
man: build
	mkdir -p $(BUILD)/man
	install -m 0644 man/pam_swiftsql.8 man/pam_swiftsql.conf.5 $(BUILD)/man/
	python3 man/gen-tool-manpage.py man/pam-swiftsql.8.in $(BUILD)/pam-swiftsql $(BUILD)/man/pam-swiftsql.8

# Every configuration key, PAM code, module argument, subcommand, option and
# exit status is documented; the pages render cleanly; debian/control builds
# with what the Makefile builds with. No root needed.
package-check: man
	python3 Tests/EndToEnd/check-docs.py $(BUILD)

deps-deb:
	@scripts/install-deps.sh $(BUILD_DEPS) $(DEB_DEPS)

# dpkg-buildpackage -us -uc -b in a clean copy of the tree (the files git
# tracks or would track: nothing ignored, no build folder), then lintian,
# which must report no error and no warning. The .deb ends up in $(DEB_OUT).
deb: deps-deb
	scripts/build-deb.sh $(DEB_OUT)

deps-e2e:
	@if ! dpkg-query -W -f='$${Status}' postfix 2>/dev/null | grep -q 'install ok installed'; then \
	  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections; fi
	@scripts/install-deps.sh $(E2E_DEPS)

# Root only, and it changes the system while it runs (it purges and installs
# libpam-swiftsql, writes /etc/postfix, /etc/pam.d/smtp, /etc/pam.d/dovecot
# and listens on /dev/log); everything is put back when it ends.
e2e: deb deps-e2e
	Tests/EndToEnd/run $(DEB_OUT)

# Known-answer vectors for the schemes, remade by the real tools (doveadm,
# mkpasswd, htpasswd, openssl, pgcrypto, PHP, passlib): see the script.
VECTOR_DEPS := dovecot-core whois apache2-utils openssl postgresql postgresql-contrib php-cli python3-passlib
.PHONY: vectors bench-schemes
vectors:
	@scripts/install-deps.sh $(VECTOR_DEPS)
	/usr/bin/python3 scripts/make-vectors.py

# Per scheme: the module's verify time against the C library's own, in one run.
bench-schemes: deps-build
	$(SWIFT) build -c release --scratch-path $(SCRATCH) --product scheme-bench
	$(SCRATCH)/release/scheme-bench
