# pam_swiftsql — the two commands of the README, and the pieces they use.
#
#   make          build build/pam_swiftsql.so (Embedded Swift), build/pam-swiftsql and build/swiftsql-authd
#   make demo     build, then authenticate a demo user through PAM and saslauthd
#   make check    every test, and the style check (CI runs this, then make e2e: see .ci/run)
#   make deb      the Debian package libpam-swiftsql, from a clean copy, checked by lintian
#   make e2e      install that package, then Postfix, Dovecot, saslauthd and PostgreSQL
#                 against it, end to end; then its install/upgrade/remove/purge cycle
#   make e2e-trixie   the same on Debian 13 (trixie), in a root made by mmdebstrap
#
# Every target installs the Debian packages it needs when they are missing.

SWIFT ?= swift
SWIFTC ?= swiftc
# Where the artifacts go, and SwiftPM's scratch folder. Two people (or a
# packaging run) working in one checkout give each their own pair, e.g.
#   make check BUILD=build-alice SCRATCH=.build-alice
BUILD ?= build
SCRATCH ?= .build
# Neither the module nor the tool needs anything from the Swift toolchain on
# the machine it runs on (DESIGN.md §2): the module is Embedded Swift, which
# has no runtime library, and the tool embeds the Swift runtime.
RELEASE := -c release -Xswiftc -static-stdlib --scratch-path $(SCRATCH)
# More flags for `swift build`: debian/rules passes the hardening linker flags
# and --disable-local-rpath here.
SWIFT_BUILD_FLAGS ?=
# More flags for the module's link by swiftc (-Xlinker pairs): debian/rules
# passes the hardening linker flags here.
MODULE_LDFLAGS ?=

BUILD_DEPS := libpam0g-dev libpq-dev libsqlite3-dev libcrypt-dev libssl-dev libargon2-dev libsodium-dev \
  libmariadb-dev
DEMO_DEPS := sasl2-bin sqlite3 whois
# libpam-mysql: the real pam_mysql that PamMySQLSideBySideTests runs beside
# the module; openssl: the certificates of the MariaDB TLS test; argon2: the
# reference tool, for Argon2 rows of chosen cost and the strings of
# Argon2LibraryTests; fail2ban: fail2ban-regex,
# which reads the module's failure lines through the shipped filter;
# pamtester: the password change and session calls of PasswordChangeTests.
TEST_DEPS := postgresql sasl2-bin sqlite3 whois dovecot-core strace procps binutils gcc libc6-dev libpam0g-dev python3 \
  man-db mariadb-server valgrind libpam-mysql openssl argon2 fail2ban pamtester
# make deb: debhelper and lintian (debian/control Build-Depends: BUILD_DEPS and python3).
DEB_DEPS := build-essential debhelper fakeroot lintian python3 man-db libpam-modules
# make e2e: the real mail chain (Postfix is preseeded to "No configuration").
# libsasl2-modules has the PLAIN and LOGIN mechanisms for Postfix's smtpd,
# libnet-ssleay-perl swaks's STARTTLS (both only Recommended, so named here).
E2E_DEPS := postgresql sasl2-bin postfix libsasl2-modules dovecot-core dovecot-imapd swaks libnet-ssleay-perl \
  sqlite3 openssl procps python3 man-db
# Where make deb puts the clean copy it builds from, and the packages.
DEB_OUT = $(BUILD)/deb

.PHONY: all build module tool daemon deps-build deps-demo deps-test demo check unit-test lint format clean
.PHONY: man package-check deps-deb deb deps-e2e e2e

all: build

deps-build:
	@scripts/install-deps.sh $(BUILD_DEPS)

deps-demo:
	@scripts/install-deps.sh $(BUILD_DEPS) $(DEMO_DEPS)

deps-test:
	@scripts/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

build: deps-build module tool daemon

# The module, in Embedded Swift (DESIGN.md §2), with swiftc: SwiftPM builds
# each target in one mode only, and it builds these same sources in full
# Swift for the tool and the tests. Each of the module's targets becomes one
# object and one .swiftmodule in $(EMBEDDED), in dependency order. A module
# gets its own copy of the code it uses from the modules below it (Embedded
# Swift specializes everything where it is used), so each function is put
# in a section of its own and the link keeps only what pam_sm_* reach. String's
# Unicode operations (lowercased, comparison) need the toolchain's
# libswiftUnicodeDataTables.a; nothing else comes from the toolchain.
EMBEDDED = $(BUILD)/embedded
EMBEDDED_SWIFTC = $(SWIFTC) -enable-experimental-feature Embedded -swift-version 6 -parse-as-library -wmo -Osize -g \
  -Xfrontend -function-sections -I $(EMBEDDED) \
  $(patsubst %,-I Sources/%,CLibC CPAM CLibPQ CSQLite3 CLibCrypt CLibCrypto CLibArgon2 CLibSodium CLibMariaDB CServe)
EMBEDDED_MODULES := SwiftSQLCore SwiftSQLSystem SwiftSQLPAMCodes SwiftSQLSchemes SwiftSQLBackends SwiftSQLRuntime SwiftSQLPAM PAMEntryPoints
EMBEDDED_LIBRARIES := -lpam -lpq -lsqlite3 -lmariadb -lcrypt -lcrypto -largon2 -lsodium -lm
# The daemon's modules: the module's, less libpam's, plus the protocols.
EMBEDDED_DAEMON_MODULES := SwiftSQLCore SwiftSQLSystem SwiftSQLSchemes SwiftSQLBackends SwiftSQLRuntime SaslauthdClient \
  SwiftSQLServe swiftsql-authd
EMBEDDED_DAEMON_LIBRARIES := $(filter-out -lpam,$(EMBEDDED_LIBRARIES))
EMBEDDED_SHIMS := $(wildcard Sources/C*/shim.h)
# The toolchain's Embedded Swift libraries for this machine.
EMBEDDED_LIBDIR = $(shell $(SWIFTC) -print-target-info | awk -F'"' '$$2 == "runtimeResourcePath" { path = $$4 } \
  $$2 == "triple" { triple = $$4 } END { print path "/embedded/" triple }')

module: $(EMBEDDED)/pam_swiftsql.so
	install -m 0644 $< $(BUILD)/pam_swiftsql.so

# One object and .swiftmodule per module, named after it.
EMBEDDED_MODULE = @mkdir -p $(EMBEDDED) && echo "swiftc (embedded) $(notdir $@)" && $(EMBEDDED_SWIFTC) \
  -module-name $(subst -,_,$(basename $(notdir $@))) -emit-module-path $(basename $@).swiftmodule -c $(filter %.swift,$^) -o $@
$(EMBEDDED)/SwiftSQLCore.o: $(wildcard Sources/SwiftSQLCore/*.swift Sources/SwiftSQLCore/*/*.swift) | deps-build
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLSystem.o: $(wildcard Sources/SwiftSQLSystem/*.swift) $(EMBEDDED_SHIMS) $(EMBEDDED)/SwiftSQLCore.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLPAMCodes.o: $(wildcard Sources/SwiftSQLPAMCodes/*.swift) $(EMBEDDED_SHIMS) | deps-build
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLSchemes.o: $(wildcard Sources/SwiftSQLSchemes/*.swift) $(EMBEDDED)/SwiftSQLCore.o \
  $(EMBEDDED)/SwiftSQLSystem.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLBackends.o: $(wildcard Sources/SwiftSQLBackends/*.swift) $(EMBEDDED)/SwiftSQLCore.o \
  $(EMBEDDED)/SwiftSQLSystem.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLRuntime.o: $(wildcard Sources/SwiftSQLRuntime/*.swift) $(EMBEDDED)/SwiftSQLSchemes.o \
  $(EMBEDDED)/SwiftSQLBackends.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLPAM.o: $(wildcard Sources/SwiftSQLPAM/*.swift) $(EMBEDDED)/SwiftSQLRuntime.o \
  $(EMBEDDED)/SwiftSQLPAMCodes.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/PAMEntryPoints.o: $(wildcard Sources/PAMEntryPoints/*.swift) $(EMBEDDED)/SwiftSQLPAM.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SaslauthdClient.o: $(wildcard Sources/SaslauthdClient/*.swift) $(EMBEDDED)/SwiftSQLSystem.o
	$(EMBEDDED_MODULE)
$(EMBEDDED)/SwiftSQLServe.o: $(wildcard Sources/SwiftSQLServe/*.swift) $(EMBEDDED)/SaslauthdClient.o
	$(EMBEDDED_MODULE)
# The daemon's own target: its sources but main.swift (SwiftPM's entry
# point), with Embedded/EntryPoint.swift (C's main) instead.
$(EMBEDDED)/swiftsql-authd.o: $(filter-out %/main.swift,$(wildcard Sources/swiftsql-authd/*.swift)) \
  Sources/swiftsql-authd/Embedded/EntryPoint.swift $(EMBEDDED)/SwiftSQLServe.o $(EMBEDDED)/SwiftSQLRuntime.o
	$(EMBEDDED_MODULE)

# The link of the module and of the daemon: lld (it
# turns references to local symbols into relative relocations, where gold
# would leave them in .dynsym), the objects and the Unicode tables, then the
# caller's C libraries and flags, then EMBEDDED_LINK_END: unused sections
# dropped, full RELRO, and the packager's flags last.
EMBEDDED_LINK = $(SWIFTC) -enable-experimental-feature Embedded -use-ld=lld -o $@ $(filter %.o,$^) \
  $(EMBEDDED_LIBDIR)/libswiftUnicodeDataTables.a
EMBEDDED_LINK_END = -Xlinker --gc-sections -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now $(MODULE_LDFLAGS)
$(EMBEDDED)/pam_swiftsql.so: $(EMBEDDED_MODULES:%=$(EMBEDDED)/%.o) Sources/PAMEntryPoints/exports.map
	$(EMBEDDED_LINK) $(EMBEDDED_LIBRARIES) -emit-library \
	  -Xlinker --version-script=Sources/PAMEntryPoints/exports.map -Xlinker -z -Xlinker nodelete $(EMBEDDED_LINK_END)

# The tool, with SwiftPM (full Swift, static Swift runtime).
tool: deps-build
	$(SWIFT) build $(RELEASE) $(SWIFT_BUILD_FLAGS) --product pam-swiftsql
	mkdir -p $(BUILD)
	install -m 0755 $(SCRATCH)/release/pam-swiftsql $(BUILD)/pam-swiftsql

# The daemon (`pam-swiftsql serve`), in Embedded Swift like the module: no
# Swift runtime to map (DESIGN.md §2, README "swiftsql-authd"), so its
# resident memory is its own work's. SwiftPM builds the same sources in full
# Swift (`swift build`), for nothing that ships.
daemon: $(EMBEDDED)/swiftsql-authd
	install -m 0755 $< $(BUILD)/swiftsql-authd

$(EMBEDDED)/swiftsql-authd: $(EMBEDDED_DAEMON_MODULES:%=$(EMBEDDED)/%.o)
	$(EMBEDDED_LINK) $(EMBEDDED_DAEMON_LIBRARIES) $(EMBEDDED_LINK_END)

demo: deps-demo build
	scripts/demo.sh $(BUILD)

# The unit tests need no root and no servers; the integration tests start
# PostgreSQL, saslauthd and the rest themselves and use build/.
# The whole test output is kept in $(BUILD)/test.log; on failure the
# recorded issues are printed again at the end.
check: deps-test build lint package-check fuzz-smoke
	PAM_SWIFTSQL_BUILD=$(abspath $(BUILD)) scripts/test-recap.sh $(BUILD)/test.log \
	  $(SWIFT) test --scratch-path $(SCRATCH)

unit-test:
	$(SWIFT) test --scratch-path $(SCRATCH) --filter 'SwiftSQLCoreTests|SaslauthdClientTests|SwiftSQLServeTests'

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
	install -m 0644 man/pam_swiftsql.8 man/pam_swiftsql.conf.5 man/swiftsql-authd.8 $(BUILD)/man/
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

# make doveconf24-check: the Dovecot 2.4 files of Tests/Corpus loaded by the real
# doveconf of Debian 13 (Dovecot 2.4.1) in a root made by mmdebstrap (kept in
# $(BUILD)/doveconf24), whose SQL passdb query must be the one pam_swiftsql
# reads (Tests/Corpus/dovecot24-queries.tsv, checked against our reader by
# DoveconfAgreementTests in make check). Needs root and the Debian mirror.
.PHONY: doveconf24-check
doveconf24-check:
	@scripts/install-deps.sh mmdebstrap
	Tests/EndToEnd/doveconf24-check $(BUILD)/doveconf24

# Root only, and it changes the system while it runs (it purges and installs
# libpam-swiftsql, writes /etc/postfix, /etc/pam.d/smtp, /etc/pam.d/dovecot
# and listens on /dev/log); everything is put back when it ends.
e2e: deb deps-e2e
	Tests/EndToEnd/run $(DEB_OUT)

# make e2e-trixie (CI runs it after make e2e): the package on Debian 13, in
# a root that mmdebstrap makes from this machine's Debian mirror (kept as a
# tarball in $(TRIXIE_DIR) between runs): the same source built there and
# checked by both releases' lintian, then README.Debian's set-up of Postfix
# 3.10, saslauthd.service, Dovecot 2.4, PostgreSQL 17 and SQLite, driven end
# to end, then upgrade, remove and purge; then swiftsql-authd's serve.sh in a
# fresh copy of the root (Tests/EndToEnd/trixie/run). Root
# only; the root's daemons run in namespaces of their own, so this machine's
# ports, /dev/log and /run are not touched. It reuses $(DEB_OUT) when make deb
# built it from this same tree.
TRIXIE_DIR = $(BUILD)/trixie
E2E_TRIXIE_DEPS := mmdebstrap util-linux iproute2 lintian
.PHONY: deps-e2e-trixie e2e-trixie
deps-e2e-trixie:
	@scripts/install-deps.sh $(BUILD_DEPS) $(DEB_DEPS) $(E2E_TRIXIE_DEPS)

e2e-trixie: deps-e2e-trixie
	scripts/build-deb.sh --if-changed $(DEB_OUT)
	Tests/EndToEnd/trixie/run $(DEB_OUT) $(TRIXIE_DIR)

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

# make bench (bench/README.md): pam_swiftsql side by side with raw libpq, the
# PAM floor, pam_mysql, saslauthd and Dovecot's auth, all started privately
# on unix sockets, in one run; prints the table and writes it as JSON, CSV,
# Markdown and a PNG chart into $(BENCH_OUT), and (unless --quick) as
# $(BENCH_RESULTS)/latest.*, which the README shows. Root only; not part of
# make check (a full run takes about 15 minutes). It needs the module only,
# not the tool. While others build in the same checkout, give it its own
# folders:
#   make bench BUILD=build-bench SCRATCH=.build-bench
#   make bench BENCH_FLAGS=--quick        (short runs, to try the set-up)
# BENCH_FLAGS: --quick, --rounds N, --duration S, --no-profile.
BENCH_DEPS := postgresql mariadb-server libpam-mysql sasl2-bin dovecot-core dovecot-pgsql \
  python3 python3-passlib python3-matplotlib gcc libc6-dev binutils valgrind whois
BENCH_OUT ?= $(BUILD)/bench
BENCH_RESULTS ?= bench/results
BENCH_FLAGS ?=
BENCH_CC ?= gcc
BENCH_CFLAGS ?= -O2 -Wall -Wextra -Werror
LOADGEN = $(BUILD)/loadgen
LOADGEN_SRC := bench/loadgen
# The PAM conversation is the test fixtures' (one copy: pam_conversation.h).
CONVERSATION := -I Tests/IntegrationTests/Fixtures
.PHONY: deps-bench bench bench-loadgen

deps-bench:
	@scripts/install-deps.sh $(BUILD_DEPS) $(BENCH_DEPS)

# The load generators, in C (warning-free with -Wall -Wextra -Werror).
bench-loadgen: deps-bench
	mkdir -p $(LOADGEN)
	$(BENCH_CC) $(BENCH_CFLAGS) $(CONVERSATION) -o $(LOADGEN)/pam_loop $(LOADGEN_SRC)/pam_loop.c $(LOADGEN_SRC)/harness.c -lpam
	$(BENCH_CC) $(BENCH_CFLAGS) -o $(LOADGEN)/sasl_client $(LOADGEN_SRC)/sasl_client.c $(LOADGEN_SRC)/harness.c
	$(BENCH_CC) $(BENCH_CFLAGS) -o $(LOADGEN)/dovecot_auth $(LOADGEN_SRC)/dovecot_auth.c $(LOADGEN_SRC)/harness.c
	$(BENCH_CC) $(BENCH_CFLAGS) -I/usr/include/postgresql -o $(LOADGEN)/raw_libpq $(LOADGEN_SRC)/raw_libpq.c \
	  $(LOADGEN_SRC)/harness.c -lpq -lcrypt -lsodium -lcrypto
	$(BENCH_CC) $(BENCH_CFLAGS) $(CONVERSATION) -o $(LOADGEN)/first_login $(LOADGEN_SRC)/first_login.c -lpam

bench: deps-bench module daemon bench-loadgen
	bench/run $(BUILD)/pam_swiftsql.so $(LOADGEN) $(BENCH_OUT) --daemon $(BUILD)/swiftsql-authd \
	  --results $(BENCH_RESULTS) $(BENCH_FLAGS)

# Leaks and lifetime at full length (README, "Outages, failover and leaks"):
# 100,000 logins in one process under valgrind memcheck (0 bytes definitely
# lost), and 100,000 without it, the resident set read every 10,000 (flat
# within 1 MB from the 10,000th to the 100,000th); prints the figures. Root;
# about 35 minutes on 2 cores. make check runs the same tests, shorter.
.PHONY: soak
soak: deps-test build
	PAM_SWIFTSQL_BUILD=$(abspath $(BUILD)) PAM_SWIFTSQL_SOAK=full $(SWIFT) test --scratch-path $(SCRATCH) \
	  --filter LifetimeTests

# Fuzzing (README "Fuzzing and sanitizers"): libFuzzer targets in
# fuzz/Targets, built with swiftc directly (AddressSanitizer and libFuzzer's
# coverage in every module) from the sources of SwiftSQLCore, SwiftSQLSystem,
# SwiftSQLSchemes and SaslauthdClient; Package.swift is not involved. The
# schemes are compiled with fuzz/Support/CostLimits.swift in place of their
# own limits.
#   make fuzz          each target for FUZZ_SECONDS over fuzz/corpus/<target>
#   make fuzz-smoke    the committed corpus, then FUZZ_SMOKE_SECONDS each (make check)
#   make fuzz-merge    minimize what the runs found into fuzz/corpus/<target>
#   make asan          the unit tests under AddressSanitizer (scratch .build-asan)
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_TARGETS ?= login query-template config connection-string hash-string payload-decoding saslauthd \
  serve-saslauthd serve-dovecot
FUZZ_OUT = $(BUILD)/fuzz
FUZZ_SWIFTC = $(SWIFTC) -swift-version 6 -parse-as-library -wmo -O -g -sanitize=fuzzer,address \
  -I $(FUZZ_OUT) -I Sources/CLibC -I Sources/CLibCrypt -I Sources/CLibCrypto -I Sources/CLibArgon2 \
  -I Sources/CLibSodium
FUZZ_OBJECTS = $(FUZZ_OUT)/SwiftSQLCore.o $(FUZZ_OUT)/SwiftSQLSystem.o $(FUZZ_OUT)/SwiftSQLSchemes.o \
  $(FUZZ_OUT)/SaslauthdClient.o $(FUZZ_OUT)/SwiftSQLServe.o
FUZZ_SOURCES_SwiftSQLCore := $(wildcard Sources/SwiftSQLCore/*.swift Sources/SwiftSQLCore/*/*.swift)
FUZZ_SOURCES_SwiftSQLSystem := $(wildcard Sources/SwiftSQLSystem/*.swift)
FUZZ_SOURCES_SwiftSQLSchemes := $(filter-out %/CostLimits.swift,$(wildcard Sources/SwiftSQLSchemes/*.swift)) \
  fuzz/Support/CostLimits.swift
FUZZ_SOURCES_SaslauthdClient := $(wildcard Sources/SaslauthdClient/*.swift)
FUZZ_SOURCES_SwiftSQLServe := $(wildcard Sources/SwiftSQLServe/*.swift)
ASAN_SCRATCH ?= .build-asan
ASAN_TESTS ?= SwiftSQLCoreTests|SwiftSQLSchemesTests|SaslauthdClientTests|SwiftSQLServeTests

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-merge asan

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz-%)

# One object and .swiftmodule per module, named after it.
FUZZ_MODULE = @mkdir -p $(FUZZ_OUT) && echo "swiftc (fuzz) $(notdir $@)" && $(FUZZ_SWIFTC) \
  -module-name $(subst -,_,$(basename $(notdir $@))) -emit-module-path $(basename $@).swiftmodule -c $(filter %.swift,$^) -o $@
$(FUZZ_OUT)/SwiftSQLCore.o: $(FUZZ_SOURCES_SwiftSQLCore)
	$(FUZZ_MODULE)
$(FUZZ_OUT)/SwiftSQLSystem.o: $(FUZZ_SOURCES_SwiftSQLSystem) $(wildcard Sources/C*/shim.h) $(FUZZ_OUT)/SwiftSQLCore.o
	$(FUZZ_MODULE)
$(FUZZ_OUT)/SwiftSQLSchemes.o: $(FUZZ_SOURCES_SwiftSQLSchemes) $(FUZZ_OUT)/SwiftSQLCore.o $(FUZZ_OUT)/SwiftSQLSystem.o
	$(FUZZ_MODULE)
$(FUZZ_OUT)/SaslauthdClient.o: $(FUZZ_SOURCES_SaslauthdClient) $(FUZZ_OUT)/SwiftSQLSystem.o
	$(FUZZ_MODULE)
$(FUZZ_OUT)/SwiftSQLServe.o: $(FUZZ_SOURCES_SwiftSQLServe) $(FUZZ_OUT)/SwiftSQLCore.o $(FUZZ_OUT)/SaslauthdClient.o
	$(FUZZ_MODULE)

$(FUZZ_OUT)/fuzz-%: fuzz/Targets/%.swift fuzz/Support/Harness.swift $(FUZZ_OBJECTS)
	$(FUZZ_SWIFTC) -use-ld=lld -module-name fuzz_$(subst -,_,$*) fuzz/Support/Harness.swift $< $(FUZZ_OBJECTS) \
	  -lcrypt -lcrypto -largon2 -lsodium -o $@

# The build in FUZZ_JOBS jobs even without make -j: it is most of the smoke
# run's time in make check.
FUZZ_JOBS ?= $(shell nproc)
fuzz: deps-build
	$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build
	fuzz/run.sh fuzz $(FUZZ_OUT) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: deps-build
	$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build
	fuzz/run.sh smoke $(FUZZ_OUT) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	fuzz/run.sh merge $(FUZZ_OUT) 0 $(FUZZ_TARGETS)

# The integration tests need root, real servers and the module in
# $(BUILD): ASAN_TESTS selects the unit-test targets by default. The tests
# are all swift-testing; XCTest's empty pass would only report XCTest's own
# leaks (LeakSanitizer), so it is skipped.
asan: deps-build
	$(SWIFT) build --build-tests --sanitize=address --scratch-path $(ASAN_SCRATCH)
	$(SWIFT) test --skip-build --sanitize=address --scratch-path $(ASAN_SCRATCH) --disable-xctest \
	  --filter '$(ASAN_TESTS)'
