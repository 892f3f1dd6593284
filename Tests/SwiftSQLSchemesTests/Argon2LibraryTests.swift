// Argon2 strings go to one of two libraries (Argon2Scheme.swift): libsodium
// for the form it reads, the reference library for the rest. These tests
// hold the split to what each library really does: strings made by the
// reference `argon2` tool over variants, versions, costs, lanes, salt and
// hash lengths verify with their password and refuse a near miss, whichever
// library takes them; the split sends libsodium only the form it reads.

import Foundation
import SchemeVectors
import SwiftSQLCore
import Testing

@testable import SwiftSQLSchemes

/// One run of Debian's `argon2` tool (package argon2): the encoded string
/// for `password` with these parameters.
func argon2Tool(password: String, salt: String, arguments: [String]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/argon2")
  process.arguments = [salt] + arguments + ["-e"]
  let input = Pipe()
  let output = Pipe()
  process.standardInput = input
  process.standardOutput = output
  try process.run()
  input.fileHandleForWriting.write(Data(password.utf8))
  try input.fileHandleForWriting.close()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { throw Argon2ToolFailed(arguments: arguments) }
  return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

struct Argon2ToolFailed: Error { let arguments: [String] }

struct Argon2Case: Sendable, CustomTestStringConvertible {
  let arguments: [String]
  let salt: String
  /// Which library must take it: libsodium's form is version 19, variant i
  /// or id, a hash of 16 bytes or more.
  let libsodium: Bool

  var testDescription: String { (arguments + ["salt \(salt.utf8.count)"]).joined(separator: " ") }

  static let all: [Argon2Case] = {
    var cases: [Argon2Case] = []
    for variant in ["-i", "-id", "-d"] {
      for version in ["13", "10"] {
        for (passes, memoryLog, lanes) in [(1, 3, 1), (2, 4, 2), (3, 10, 4)] {
          for hashLength in [4, 16, 32, 64] {
            for salt in ["saltsalt", "saltsaltsaltsalt", String(repeating: "s", count: 32)] {
              let costs = ["-t", "\(passes)", "-m", "\(memoryLog)", "-p", "\(lanes)"]
              let arguments = [variant, "-v", version] + costs + ["-l", "\(hashLength)"]
              cases.append(
                Argon2Case(
                  arguments: arguments, salt: salt,
                  libsodium: variant != "-d" && version == "13" && hashLength >= 16))
            }
          }
        }
      }
    }
    return cases
  }()
}

@Suite("Argon2: libsodium for the form it reads, the reference library for the rest")
struct Argon2LibraryTests {
  @Test("strings from the argon2 tool verify and refuse a near miss", arguments: Argon2Case.all)
  func toolStrings(_ value: Argon2Case) throws {
    let stored = try argon2Tool(password: "password", salt: value.salt, arguments: value.arguments)
    #expect(stored.hasPrefix("$argon2"), "the tool wrote \(stored)")
    let bytes = Array(stored.utf8)
    let variant = try #require(Argon2Parameters.variant(of: bytes))
    let parameters = try #require(Argon2Parameters(bytes))
    #expect(parameters.libsodiumReads(variant.variant) == value.libsodium, "\(stored)")
    #expect(check(stored, "password") == .match, "\(stored)")
    #expect(check(stored, "passwore") == .mismatch, "\(stored)")
    #expect(check(stored, "password ") == .mismatch, "\(stored)")
  }

  @Test("Dovecot's and PHP's Argon2 strings are libsodium's form")
  func vectorsAreLibsodiumForm() throws {
    let argon2 = Vector.all.filter { $0.stored.contains("$argon2") }
    #expect(argon2.count >= 20)
    for vector in argon2 {
      let payload = Array(vector.stored.utf8.drop { $0 != UInt8(ascii: "$") })
      let variant = try #require(Argon2Parameters.variant(of: payload))
      let parameters = try #require(Argon2Parameters(payload))
      #expect(parameters.libsodiumReads(variant.variant), "\(vector.stored)")
    }
  }

  @Test(
    "what libsodium would only call a mismatch stays with the reference library",
    arguments: [
      // Trailing bits set in the hash's last character (…hhc2g → …hhc2h).
      "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2h",
      // A salt of 4 bytes.
      "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
      // Leading zeros, a plus sign, a key of the old format, no version.
      "$argon2id$v=19$m=08,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=+19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$v=19$m=8,t=1,p=1,data=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      "$argon2id$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
      // Fewer KiB than 8 per lane.
      "$argon2i$v=19$m=8,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ])
  func notLibsodiumForm(_ stored: String) throws {
    let bytes = Array(stored.utf8)
    let variant = try #require(Argon2Parameters.variant(of: bytes))
    let parameters = try #require(Argon2Parameters(bytes))
    #expect(!parameters.libsodiumReads(variant.variant))
  }
}
