# pam_swiftsql — the two commands of the README, and the pieces they use.
#
#   make          build build/pam_swiftsql.so and build/pam-swiftsql
#   make demo     build, then authenticate a demo user through PAM and saslauthd
#   make check    every test, and the style check (CI runs exactly this, see .ci/run)
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

BUILD_DEPS := libpam0g-dev libpq-dev libsqlite3-dev libcrypt-dev libssl-dev libargon2-dev
DEMO_DEPS := sasl2-bin sqlite3 whois
TEST_DEPS := postgresql sasl2-bin sqlite3 whois dovecot-core strace procps binutils gcc libc6-dev libpam0g-dev

.PHONY: all build deps-build deps-demo deps-test demo check unit-test lint format clean

all: build

deps-build:
	@scripts/install-deps.sh $(BUILD_DEPS)

deps-demo:
	@scripts/install-deps.sh $(BUILD_DEPS) $(DEMO_DEPS)

deps-test:
	@scripts/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

build: deps-build
	$(SWIFT) build $(RELEASE)
	mkdir -p $(BUILD)
	install -m 0644 $(SCRATCH)/release/libpam_swiftsql.so $(BUILD)/pam_swiftsql.so
	install -m 0755 $(SCRATCH)/release/pam-swiftsql $(BUILD)/pam-swiftsql

demo: deps-demo build
	scripts/demo.sh $(BUILD)

# The unit tests need no root and no servers; the integration tests start
# PostgreSQL, saslauthd and the rest themselves and use build/.
check: deps-test build lint
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
