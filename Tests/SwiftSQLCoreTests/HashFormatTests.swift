// Covers `HashFormat.detect`: Dovecot `{SCHEME}` prefixes (case-insensitive,
// with the payload offset), the `.HEX`, `.B64` and `.BASE64` encoding
// suffixes, bare crypt(3) strings recognised by their `$id$`, traditional
// 13-character DES crypt only when the default scheme is CRYPT, the default
// scheme for everything else, and what does not count as a prefix (no `}`
// within 34 bytes, characters outside [A-Za-z0-9._-]).

import SwiftSQLCore
import Testing

private func detect(_ stored: String, default defaultScheme: String = "CRYPT") -> HashFormat {
  HashFormat.detect(Array(stored.utf8), defaultScheme: defaultScheme)
}

@Suite("HashFormat.detect: prefixes")
struct HashFormatPrefixTests {
  @Test("{SHA512-CRYPT} prefix")
  func sha512CryptPrefix() {
    let format = detect("{SHA512-CRYPT}$6$saltsalt$hashhashhash")
    #expect(format.scheme == "SHA512-CRYPT")
    #expect(format.hasPrefix == true)
    #expect(format.payloadOffset == 14)
    #expect(format.encoding == .native)
  }

  @Test(
    "the prefix is case-insensitive and the scheme is upper-cased",
    arguments: [
      ("{plain}x", "PLAIN", 7),
      ("{Plain}x", "PLAIN", 7),
      ("{sha512-crypt}$6$a$b", "SHA512-CRYPT", 14),
      ("{blf-crypt}$2y$05$abc", "BLF-CRYPT", 11),
    ])
  func caseInsensitive(stored: String, scheme: String, offset: Int) {
    let format = detect(stored, default: "PLAIN")
    #expect(format.scheme == scheme)
    #expect(format.hasPrefix == true)
    #expect(format.payloadOffset == offset)
    #expect(format.encoding == .native)
  }

  @Test(
    "encoding suffixes",
    arguments: [
      ("{PLAIN.HEX}736563726574", "PLAIN", PayloadEncoding.hex, 11),
      ("{plain.hex}736563726574", "PLAIN", .hex, 11),
      ("{PLAIN.B64}c2VjcmV0", "PLAIN", .base64, 11),
      ("{SHA256.BASE64}abc=", "SHA256", .base64, 15),
      ("{sha256.base64}abc=", "SHA256", .base64, 15),
      ("{SSHA512.b64}abc=", "SSHA512", .base64, 13),
    ])
  func encodingSuffixes(stored: String, scheme: String, encoding: PayloadEncoding, offset: Int) {
    let format = detect(stored)
    #expect(format.scheme == scheme)
    #expect(format.encoding == encoding)
    #expect(format.hasPrefix == true)
    #expect(format.payloadOffset == offset)
  }

  @Test("a prefix wins over a crypt-looking payload")
  func prefixWins() {
    let format = detect("{PLAIN}$6$notacrypt")
    #expect(format.scheme == "PLAIN")
    #expect(format.hasPrefix == true)
    #expect(format.payloadOffset == 7)
  }

  @Test("a scheme name of 32 bytes (closing } at byte 34) is a prefix")
  func longestPrefix() {
    let name = String(repeating: "A", count: 32)
    let format = detect("{\(name)}payload", default: "PLAIN")
    #expect(format.scheme == name)
    #expect(format.hasPrefix == true)
    #expect(format.payloadOffset == 34)
  }

  @Test(
    "not a prefix: the default scheme applies",
    arguments: [
      "{" + String(repeating: "A", count: 33) + "}payload",  // } is byte 35
      "{PLAIN",  // no }
      "{PLAIN secret",
      "{SHA 512}x",  // space
      "{SHA$512}x",
      "{SHA/512}x",
      "{SHÄ}x",
      "{PLAIN\n}x",
      "x{PLAIN}y",  // not at the start
    ])
  func notAPrefix(_ stored: String) {
    let format = detect(stored, default: "PLAIN")
    #expect(format.scheme == "PLAIN")
    #expect(format.hasPrefix == false)
    #expect(format.payloadOffset == 0)
    #expect(format.encoding == .native)
  }
}

@Suite("HashFormat.detect: bare values")
struct HashFormatBareTests {
  @Test(
    "crypt(3) strings are recognised by their $id$",
    arguments: [
      ("$y$j9T$salt$hash", "YESCRYPT"),
      ("$gy$j9T$salt$hash", "GOST-YESCRYPT"),
      ("$7$CU..../....salt$hash", "SCRYPT"),
      ("$2a$05$abcdefghijklmnopqrstuuhash", "BLF-CRYPT"),
      ("$2b$05$abcdefghijklmnopqrstuuhash", "BLF-CRYPT"),
      ("$2y$05$abcdefghijklmnopqrstuuhash", "BLF-CRYPT"),
      ("$6$saltsalt$hash", "SHA512-CRYPT"),
      ("$6$rounds=5000$salt$hash", "SHA512-CRYPT"),
      ("$5$saltsalt$hash", "SHA256-CRYPT"),
      ("$1$saltsalt$hash", "MD5-CRYPT"),
    ])
  func cryptIds(stored: String, scheme: String) {
    for defaultScheme in ["CRYPT", "PLAIN"] {
      let format = detect(stored, default: defaultScheme)
      #expect(format.scheme == scheme, "default \(defaultScheme)")
      #expect(format.hasPrefix == false)
      #expect(format.payloadOffset == 0)
      #expect(format.encoding == .native)
    }
  }

  @Test("a 13-character DES string is DES-CRYPT when the default is CRYPT")
  func desWithCryptDefault() {
    let format = detect("abJnggxhB/yWI", default: "CRYPT")
    #expect(format.scheme == "DES-CRYPT")
    #expect(format.hasPrefix == false)
    #expect(format.payloadOffset == 0)
  }

  @Test("a 13-character DES-looking string stays PLAIN when the default is PLAIN")
  func desWithPlainDefault() {
    let format = detect("abJnggxhB/yWI", default: "PLAIN")
    #expect(format.scheme == "PLAIN")
    #expect(format.hasPrefix == false)
  }

  @Test(
    "strings that are not DES crypt get the default CRYPT",
    arguments: [
      "abJnggxhB/yW",  // 12 characters
      "abJnggxhB/yWIx",  // 14 characters
      "abJnggxhB/yW!",  // ! is outside the alphabet
      "abJnggxhB-yWI",  // - is outside the alphabet
    ])
  func notDES(_ stored: String) {
    let format = detect(stored, default: "CRYPT")
    #expect(format.scheme == "CRYPT")
    #expect(format.hasPrefix == false)
  }

  @Test(
    "anything else gets the default scheme",
    arguments: [("secret", "PLAIN"), ("secret", "CRYPT"), ("hello world", "SHA512-CRYPT"), ("", "PLAIN")])
  func defaultScheme(stored: String, defaultScheme: String) {
    let format = detect(stored, default: defaultScheme)
    #expect(format.scheme == defaultScheme)
    #expect(format.hasPrefix == false)
    #expect(format.payloadOffset == 0)
    #expect(format.encoding == .native)
  }
}
