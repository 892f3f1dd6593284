// What CONTRIBUTING.md asks of a new scheme, where the compiler cannot ask
// it: every scheme in the registry has known-answer vectors from a real tool
// (Tests/SchemeVectors/vectors.tsv, made by scripts/make-vectors.py) and a
// row in the README's Passwords section, which is what administrators read.

import Foundation
import SchemeVectors
import SwiftSQLCore
import Testing

@testable import SwiftSQLSchemes

@Suite("Every registered scheme is tested and documented")
struct RegistryCoverageTests {
  /// The README's "## Passwords" section.
  static let passwordsSection: String = {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../README.md").standardizedFileURL
    guard let text = try? String(contentsOf: readme, encoding: .utf8),
      let start = text.range(of: "\n## Passwords\n")
    else { return "" }
    let rest = text[start.upperBound...]
    return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
  }()

  @Test("each scheme of the registry has vectors made by a real tool")
  func vectors() {
    var covered: Set<String> = []
    for vector in Vector.all {
      let format = HashFormat.detect(Array(vector.stored.utf8), defaultScheme: vector.defaultScheme)
      covered.insert(format.scheme)
    }
    for scheme in SchemeRegistry.schemes {
      let names = scheme.names.map { $0.name }
      #expect(names.contains { covered.contains($0) }, "no vector in vectors.tsv reads as any of \(names)")
    }
  }

  @Test("each scheme of the registry is named in the README's Passwords section")
  func documented() {
    #expect(!RegistryCoverageTests.passwordsSection.isEmpty, "README.md has no '## Passwords' section")
    for scheme in SchemeRegistry.schemes {
      let names = scheme.names.map { $0.name }
      #expect(
        names.contains { RegistryCoverageTests.passwordsSection.contains("`\($0)`") },
        "README.md's Passwords section names none of \(names) in backticks")
    }
  }
}
