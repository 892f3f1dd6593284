// The core is written in the subset of Swift that Embedded Swift compiles
// (no existentials, no reflection, typed throws), so that the module can be
// built without a Swift runtime (DESIGN.md §2). This compiles the core's
// sources in Embedded mode, so a change that leaves the subset fails here
// rather than when the module build switches over.

import Foundation
import Testing

@Suite("Embedded Swift")
struct EmbeddedSubsetTests {
  @Test("the core compiles as Embedded Swift")
  func coreCompiles() throws {
    let sources = "\(Project.root)/Sources/SwiftSQLCore"
    let files = try FileManager.default.contentsOfDirectory(atPath: sources)
      .filter { $0.hasSuffix(".swift") }.sorted().map { "\(sources)/\($0)" }
    #expect(files.count > 5)
    let output = try makeTemporaryDirectory("swiftsql-embedded")
    defer { removeTemporaryDirectory(output) }
    let result = try run(
      [
        "swiftc", "-enable-experimental-feature", "Embedded", "-wmo", "-parse-as-library", "-Osize",
        "-module-name", "SwiftSQLCore", "-emit-module", "-emit-module-path", "\(output)/SwiftSQLCore.swiftmodule",
        "-c", "-o", "\(output)/SwiftSQLCore.o",
      ] + files, timeout: 300)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(FileManager.default.fileExists(atPath: "\(output)/SwiftSQLCore.o"))
  }
}
