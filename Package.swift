// swift-tools-version:6.0
//
// pam_swiftsql: a PAM module that verifies mail logins (user@domain) against
// password hashes stored in SQL, and its companion tool `pam-swiftsql`.
//
// Layout (DESIGN.md §5): one system-library target per C library; a pure-Swift
// core with no C and no Foundation; the scheme and database code that wraps
// the C libraries; the PAM glue; a thin entry-point target; the tool; the
// tests. SwiftPM builds everything in full Swift, for the tool and the tests;
// the Makefile builds the module itself from the same sources with swiftc in
// Embedded Swift, so that it needs no Swift runtime (DESIGN.md §2). The
// package has no library product: one would be a pam_swiftsql .so that
// needs the Swift runtime, built by every `swift build` and `swift test`.

import PackageDescription

let package = Package(
  name: "pam_swiftsql",
  products: [
    .executable(name: "pam-swiftsql", targets: ["pam-swiftsql"]),
    .executable(name: "swiftsql-authd", targets: ["swiftsql-authd"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C libraries, one boundary each. CLibC: the libc headers, as Embedded
    // Swift has no Glibc module.
    .systemLibrary(name: "CLibC", path: "Sources/CLibC"),
    .systemLibrary(name: "CPAM", path: "Sources/CPAM"),
    .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
    .systemLibrary(name: "CSQLite3", path: "Sources/CSQLite3"),
    .systemLibrary(name: "CLibCrypt", path: "Sources/CLibCrypt"),
    .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto"),
    .systemLibrary(name: "CLibArgon2", path: "Sources/CLibArgon2"),
    .systemLibrary(name: "CLibSodium", path: "Sources/CLibSodium"),
    .systemLibrary(name: "CLibMariaDB", path: "Sources/CLibMariaDB"),

    // The pure core: no C, no Foundation, Embedded-Swift subset.
    .target(name: "SwiftSQLCore"),

    // The module's own libc calls (clocks, poll, stat, file reads, locks,
    // unix sockets), in one file, which the tool, the daemon and the
    // saslauthd client use too.
    .target(name: "SwiftSQLSystem", dependencies: ["SwiftSQLCore", "CLibC"]),

    // The PAM codes' names and libpam's sentence for each (pam_strerror),
    // for the module and the tool alike.
    .target(name: "SwiftSQLPAMCodes", dependencies: ["CPAM"]),

    // Password schemes (libcrypt, libcrypto, libargon2, libsodium) and
    // database drivers (libpq, sqlite3, libmariadb), each C library behind
    // one file.
    .target(
      name: "SwiftSQLSchemes",
      dependencies: [
        "SwiftSQLCore", "SwiftSQLSystem", "CLibC", "CLibCrypt", "CLibCrypto", "CLibArgon2", "CLibSodium",
      ]),
    .target(
      name: "SwiftSQLBackends",
      dependencies: ["SwiftSQLCore", "SwiftSQLSystem", "CLibC", "CLibPQ", "CSQLite3", "CLibMariaDB"]),

    // What a process keeps between logins: configurations (re-read when
    // their file changes, only when whole, safe and valid), database
    // connections, decoys; one lock, and fork handlers.
    .target(
      name: "SwiftSQLRuntime",
      dependencies: ["SwiftSQLCore", "SwiftSQLSystem", "SwiftSQLSchemes", "SwiftSQLBackends"]),

    // The PAM glue: libpam boundary, the two PAM flows, the mapping to PAM_*.
    .target(
      name: "SwiftSQLPAM",
      dependencies: [
        "SwiftSQLCore", "SwiftSQLSystem", "SwiftSQLPAMCodes", "SwiftSQLSchemes", "SwiftSQLRuntime", "CLibC", "CPAM",
      ]),

    // The module's C entry points, compiled here in full Swift so that both
    // modes keep accepting them; the Makefile links them into the module with
    // the export map and `-z nodelete`.
    .target(name: "PAMEntryPoints", dependencies: ["SwiftSQLPAM"], exclude: ["exports.map"]),

    // The tool. SaslauthdClient: the saslauthd socket protocol, over
    // SwiftSQLSystem's unix sockets and clock.
    .target(name: "SaslauthdClient", dependencies: ["SwiftSQLSystem"]),
    .executableTarget(
      name: "pam-swiftsql",
      dependencies: [
        "SaslauthdClient", "SwiftSQLCore", "SwiftSQLSystem", "SwiftSQLPAMCodes", "SwiftSQLSchemes", "SwiftSQLBackends",
        "SwiftSQLServe", "CPAM", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // The daemon (`swiftsql-authd`, also run as `pam-swiftsql serve`): the
    // protocols as pure parsers, then the daemon itself over the core, the
    // schemes and the drivers, with no libpam and no Foundation. CServe: the
    // libc headers of its one system boundary file.
    .target(
      name: "SwiftSQLServe", dependencies: ["SaslauthdClient", "SwiftSQLCore"],
      // The latency percentiles round (Double.rounded: libm's ceil); this
      // target imports no Glibc, whose module map would link libm for it.
      linkerSettings: [.linkedLibrary("m")]),
    .systemLibrary(name: "CServe", path: "Sources/CServe"),
    .executableTarget(
      name: "swiftsql-authd",
      dependencies: [
        "SwiftSQLServe", "SaslauthdClient", "SwiftSQLCore", "SwiftSQLSystem", "SwiftSQLSchemes", "SwiftSQLBackends",
        "SwiftSQLRuntime", "CServe",
      ],
      // The shipped daemon is Embedded Swift, built by the Makefile with
      // Embedded/EntryPoint.swift as its entry point instead of main.swift.
      exclude: ["Embedded"]),

    // Benchmarks (not tests): bench/README.md.
    .executableTarget(
      name: "scheme-bench",
      dependencies: ["SwiftSQLSchemes", "SwiftSQLCore", "CLibCrypt", "CLibCrypto", "CLibSodium"],
      path: "bench/SchemeBench"),

    // Tests: the core's unit tests use fakes; everything else runs the real
    // module, libpam, PostgreSQL, SQLite and saslauthd (see Tests/README.md).
    .testTarget(name: "SwiftSQLCoreTests", dependencies: ["SwiftSQLCore"]),
    .testTarget(name: "SaslauthdClientTests", dependencies: ["SaslauthdClient"]),
    .testTarget(name: "SwiftSQLServeTests", dependencies: ["SwiftSQLServe", "SaslauthdClient", "SwiftSQLCore"]),
    // The known-answer vectors (Tests/SchemeVectors/vectors.tsv, made by
    // scripts/make-vectors.py), shared by the scheme and integration tests.
    .target(name: "SchemeVectors", path: "Tests/SchemeVectors", exclude: ["vectors.tsv"]),
    .testTarget(name: "SwiftSQLSchemesTests", dependencies: ["SwiftSQLSchemes", "SwiftSQLCore", "SchemeVectors"]),
    .testTarget(
      name: "IntegrationTests",
      dependencies: ["SchemeVectors"],
      exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v6]
)
