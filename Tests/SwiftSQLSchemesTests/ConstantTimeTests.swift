// Covers the constant-time comparison every scheme uses, libcrypto's
// CRYPTO_memcmp behind `LibCrypto.constantTimeEqual`: equal, unequal
// anywhere, different lengths (also as a prefix), empty.

import Testing

@testable import SwiftSQLSchemes

private func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
  lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in LibCrypto.constantTimeEqual(l, r) } }
}

@Suite("LibCrypto.constantTimeEqual")
struct ConstantTimeTests {
  @Test("equal byte strings are equal")
  func equalBytes() {
    #expect(equal(Array("secret".utf8), Array("secret".utf8)))
    #expect(equal([0, 255, 1], [0, 255, 1]))
  }

  @Test("two empty byte strings are equal")
  func empty() {
    #expect(equal([], []))
  }

  @Test(
    "byte strings that differ anywhere are unequal",
    arguments: [
      (Array("secret".utf8), Array("Secret".utf8)),
      (Array("secret".utf8), Array("secreT".utf8)),
      (Array("secret".utf8), Array("seXret".utf8)),
      ([0x00], [0x80]),
      ([0x01, 0x02], [0x01, 0x03]),
    ] as [([UInt8], [UInt8])])
  func unequal(lhs: [UInt8], rhs: [UInt8]) {
    #expect(!equal(lhs, rhs))
    #expect(!equal(rhs, lhs))
  }

  @Test(
    "different lengths are unequal, even as a prefix",
    arguments: [
      (Array("secret".utf8), Array("secrets".utf8)),
      (Array("secret".utf8), Array("secre".utf8)),
      ([], [0]),
      ([], Array("x".utf8)),
    ] as [([UInt8], [UInt8])])
  func differentLengths(lhs: [UInt8], rhs: [UInt8]) {
    #expect(!equal(lhs, rhs))
    #expect(!equal(rhs, lhs))
  }
}
