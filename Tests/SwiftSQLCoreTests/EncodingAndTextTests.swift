// Covers the small byte utilities of the core: `PayloadDecoding.hex` and
// `PayloadDecoding.base64` (the RFC 4648 §10 test vectors, upper- and
// lower-case hex, and strict refusal of odd hex lengths, non-alphabet
// characters and bad base64 padding), and `LogText.printable` (control
// characters become '?', text over 400 bytes is cut and marked with "…").

import SwiftSQLCore
import Testing

private func hex(_ text: String) -> [UInt8]? {
  Array(text.utf8).withUnsafeBytes { PayloadDecoding.hex($0) }
}

private func base64(_ text: String) -> [UInt8]? {
  Array(text.utf8).withUnsafeBytes { PayloadDecoding.base64($0) }
}

@Suite("PayloadDecoding.hex")
struct HexDecodingTests {
  @Test(
    "valid hex",
    arguments: [
      ("", [UInt8]()),
      ("00", [0x00]),
      ("ff", [0xFF]),
      ("FF", [0xFF]),
      ("0a1B", [0x0A, 0x1B]),
      ("DEADbeef", [0xDE, 0xAD, 0xBE, 0xEF]),
      ("736563726574", Array("secret".utf8)),
      ("0123456789abcdefABCDEF", [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xAB, 0xCD, 0xEF]),
    ])
  func valid(text: String, expected: [UInt8]) {
    #expect(hex(text) == expected)
  }

  @Test(
    "invalid hex is refused", arguments: ["a", "abc", "0g", "g0", "zz", "12 4", " 12", "12\n", "+1", "0x12", "ab-c"])
  func invalid(_ text: String) {
    #expect(hex(text) == nil)
  }
}

@Suite("PayloadDecoding.base64")
struct Base64DecodingTests {
  @Test(
    "RFC 4648 test vectors",
    arguments: [
      ("", ""),
      ("Zg==", "f"),
      ("Zm8=", "fo"),
      ("Zm9v", "foo"),
      ("Zm9vYg==", "foob"),
      ("Zm9vYmE=", "fooba"),
      ("Zm9vYmFy", "foobar"),
    ])
  func rfc4648(encoded: String, decoded: String) {
    #expect(base64(encoded) == Array(decoded.utf8))
  }

  @Test("the whole alphabet, including + and /")
  func alphabet() {
    // "+/+/" is 62 63 62 63: 111110 111111 111110 111111
    // = 11111011 11111111 10111111.
    #expect(base64("+/+/") == [0xFB, 0xFF, 0xBF])
    // "AZaz" is 0 25 26 51: 000000 011001 011010 110011
    // = 00000001 10010110 10110011.
    #expect(base64("AZaz") == [0x01, 0x96, 0xB3])
    #expect(base64("AAAA") == [0, 0, 0])
    #expect(base64("////") == [0xFF, 0xFF, 0xFF])
  }

  @Test(
    "bad characters are refused",
    arguments: ["Zm9v!", "Zm 9v", "Zm9v\n", "Zm-_", "Zm9v_w==", "Zm9v\0", "Zm9vYmFy ", "ü"])
  func badCharacters(_ text: String) {
    #expect(base64(text) == nil)
  }

  @Test(
    "bad padding is refused",
    arguments: [
      "Zg=",  // two characters need ==
      "Zg===",  // three = signs
      "Zm9v=",  // a complete group needs no =
      "Zm9v====",
      "Zm8==",  // three characters need one =
      "Z===",  // one character cannot encode a byte
      "Z",
      "Zm9vY",
      "=",
      "==",
      "====",
      "=Zm9",  // = before the data
      "Zg==Zg==",  // data after =
      "Zm=9v",
    ])
  func badPadding(_ text: String) {
    #expect(base64(text) == nil)
  }
}

@Suite("LogText.printable")
struct LogTextTests {
  @Test("ordinary text is unchanged")
  func ordinary() {
    #expect(LogText.printable("alice@example.org") == "alice@example.org")
    #expect(LogText.printable("jürgen@bücher.example") == "jürgen@bücher.example")
  }

  @Test("control characters become ?")
  func controlCharacters() {
    #expect(LogText.printable("a\nb\rc\0d\u{1B}e") == "a?b?c?d?e")
    #expect(LogText.printable("tab\there") == "tab?here")
    #expect(LogText.printable("del\u{7F}") == "del?")
    #expect(LogText.printable("c1\u{85}") == "c1?")
  }

  @Test("a forged log line cannot start a new line")
  func forgedLine() {
    let printable = LogText.printable("alice\nJan  1 00:00:00 host sshd: Accepted password for root")
    #expect(!printable.contains("\n"))
    #expect(printable == "alice?Jan  1 00:00:00 host sshd: Accepted password for root")
  }

  @Test("text of exactly 400 bytes is not cut")
  func atLimit() {
    let text = String(repeating: "x", count: 400)
    #expect(LogText.printable(text) == text)
  }

  @Test("text over 400 bytes is cut to 400 and marked with …")
  func overLimit() {
    let text = String(repeating: "x", count: 401)
    #expect(LogText.printable(text) == String(repeating: "x", count: 400) + "…")
    let long = String(repeating: "y", count: 400) + "tail that must not appear"
    #expect(LogText.printable(long) == String(repeating: "y", count: 400) + "…")
  }

  @Test("the byte overload treats control bytes the same way")
  func bytes() {
    #expect(LogText.printable([0x61, 0x0A, 0x62, 0x00]) == "a?b?")
  }
}
