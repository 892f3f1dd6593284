// What DESIGN.md §2 demands of the built file build/pam_swiftsql.so, the
// only module there is (SwiftPM builds none): no Swift runtime, Foundation
// or Dispatch library among its dependencies, linked -z nodelete,
// exporting exactly the six pam_sm_* functions, no
// Foundation inside, and loadable with dlopen(RTLD_NOW) by a process with an
// empty environment. And what issue 7 asks of its size: built in Embedded
// Swift, so no Swift runtime is linked in, and under 1 MB stripped.

import Foundation
import Testing

/// The NEEDED lines of `readelf -d` for a built file.
func neededLibraries(_ path: String) throws -> [Substring] {
  let dynamic = try run(["readelf", "-d", path], check: true).stdout
  return dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
}

/// The libraries of the full Swift runtime, which neither built file may need.
let swiftRuntimeLibraries = ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime"]

/// Records an issue for each NEEDED line that names one of `libraries`.
func expectNone(of libraries: [String], in needed: [Substring]) {
  for line in needed {
    for library in libraries {
      #expect(!line.contains(library), "\(line)")
    }
  }
}

@Suite("The built module")
struct ModuleArtifactTests {
  @Test("needs no Swift runtime, Foundation or Dispatch library")
  func dependencies() throws {
    try Project.requireBuild()
    let needed = try neededLibraries(Project.module)
    #expect(!needed.isEmpty)
    expectNone(of: swiftRuntimeLibraries, in: needed)
    #expect(needed.contains { $0.contains("[libpam.so.0]") })
  }

  @Test("is the only module: the package declares no SwiftPM library, which would need the Swift runtime")
  func noSwiftPMModule() throws {
    // A library product is built by every `swift build` and `swift test`;
    // its debug build needs libswiftCore.so and the rest at run time.
    let manifest = try String(contentsOfFile: "\(Project.root)/Package.swift", encoding: .utf8)
    #expect(manifest.contains(".executable("))
    #expect(!manifest.contains(".library("), "Package.swift declares a library product")
  }

  @Test("is linked -z nodelete, so it stays loaded between PAM transactions")
  func nodelete() throws {
    try Project.requireBuild()
    let dynamic = try run(["readelf", "-d", Project.module], check: true).stdout
    let flags = dynamic.split(separator: "\n").first { $0.contains("(FLAGS_1)") }
    #expect(flags?.contains("NODELETE") == true, "FLAGS_1: \(flags ?? "missing")")
  }

  @Test("exports exactly the six pam_sm_* functions of the four PAM types")
  func exports() throws {
    try Project.requireBuild()
    let symbols = try run(["nm", "-D", "--defined-only", Project.module], check: true).stdout
    let names = symbols.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
    #expect(
      names.sorted() == [
        "pam_sm_acct_mgmt", "pam_sm_authenticate", "pam_sm_chauthtok", "pam_sm_close_session",
        "pam_sm_open_session", "pam_sm_setcred",
      ])
  }

  @Test("contains no Foundation code")
  func noFoundation() throws {
    try Project.requireBuild()
    let symbols = try run(["nm", Project.module], check: true).stdout
    #expect(!symbols.isEmpty)
    #expect(!symbols.contains("Foundation"), "the module links Foundation code")
    // And no module source imports it.
    for target in [
      "SwiftSQLCore", "SwiftSQLSystem", "SwiftSQLSchemes", "SwiftSQLBackends", "SwiftSQLPAM", "PAMEntryPoints",
    ] {
      let directory = "\(Project.root)/Sources/\(target)"
      for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".swift") {
        let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
        #expect(!text.contains("import Foundation"), "\(target)/\(file) imports Foundation")
      }
    }
  }

  @Test("loads with dlopen(RTLD_NOW) in an empty environment")
  func loadsWithoutToolchain() throws {
    try Project.requireBuild()
    let checker = try Fixture.path("dlopen_check", libraries: ["dl"])
    let result = try run(["/usr/bin/env", "-i", checker, Project.module], environment: [:])
    #expect(result.status == 0, "\(result.stdout)")
    #expect(result.stdout == "loaded\n")
    // What the dynamic linker resolves must come from the system, not a toolchain.
    let libraries = try run(["/usr/bin/env", "-i", "/usr/bin/ldd", Project.module], environment: [:], check: true)
    #expect(!libraries.stdout.contains("/opt/swift"))
    #expect(!libraries.stdout.contains("not found"))
  }

  @Test("is Embedded Swift: no Swift runtime linked in, under 1 MB stripped")
  func embeddedAndSmall() throws {
    try Project.requireBuild()
    // The full runtime's type-metadata machinery, which a module built with
    // -static-stdlib carries (as local symbols) and Embedded Swift has none of.
    let symbols = try run(["nm", "--defined-only", Project.module], check: true).stdout
    #expect(symbols.count > 1000, "the module is not stripped in build/, so nm can see its symbols")
    for runtime in ["swift_conformsToProtocol", "swift_getTypeByMangledName", "swift_dynamicCast"] {
      #expect(!symbols.contains(" \(runtime)"), "\(runtime): the full Swift runtime is linked in")
    }
    let directory = try makeTemporaryDirectory("swiftsql-strip")
    defer { removeTemporaryDirectory(directory) }
    _ = try run(["strip", "-o", "\(directory)/stripped.so", Project.module], check: true)
    let size = try FileManager.default.attributesOfItem(atPath: "\(directory)/stripped.so")[.size] as? Int ?? -1
    print("pam_swiftsql.so stripped: \(size) bytes")
    #expect(size > 0 && size < 1_000_000, "stripped size \(size) bytes")
  }
}

// The daemon is built the same way (make daemon): what it maps is the C
// libraries it uses and its own code, no Swift runtime (and so no libstdc++,
// which the full runtime needs), which keeps its resident memory within the
// 16 MB that issue 15 sets.
@Suite("The built daemon")
struct DaemonArtifactTests {
  @Test("is Embedded Swift: no Swift runtime, libstdc++, Foundation or Dispatch linked or linked in")
  func embedded() throws {
    try Project.requireBuild()
    let needed = try neededLibraries(ServeDaemon.binary)
    #expect(needed.contains { $0.contains("[libpq.so.5]") })
    expectNone(of: swiftRuntimeLibraries + ["libstdc++", "libpam"], in: needed)
    let symbols = try run(["nm", "--defined-only", ServeDaemon.binary], check: true).stdout
    #expect(symbols.count > 1000, "the daemon is not stripped in build/, so nm can see its symbols")
    for runtime in ["swift_conformsToProtocol", "swift_getTypeByMangledName", "swift_dynamicCast"] {
      #expect(!symbols.contains(" \(runtime)"), "\(runtime): the full Swift runtime is linked in")
    }
  }

  @Test("runs in an empty environment, its arguments read by C's main")
  func runs() throws {
    try Project.requireBuild()
    let version = try run(["/usr/bin/env", "-i", ServeDaemon.binary, "--version"], environment: [:])
    #expect(version.status == 0)
    #expect(version.stdout.hasPrefix("swiftsql-authd "))
    let unknown = try run(["/usr/bin/env", "-i", ServeDaemon.binary, "--workers", "0"], environment: [:])
    #expect(unknown.status == 2, "\(unknown.stderr)")
    #expect(unknown.stderr.contains("--workers"), "\(unknown.stderr)")
  }
}
