// PayloadDecoding: the hex and base64 decoders behind the .HEX, .B64 and
// .BASE64 suffixes and the binary payloads (SHA, SSHA, CRAM-MD5, …),
// passlib's adapted base64, and the encoders used for new stored values.
//
// Input: the text to decode (and, as bytes, the data to encode).
//
// Invariants: nothing traps; a hex decode is half the length, and encoding
// it back gives the text in lower case; a base64 decode re-encodes to text
// that decodes to the same bytes, has 3 bytes per 4 characters, and the
// text was only the alphabet and at most two '=' at the end; adapted base64
// is base64 with '.' for '+'; the encoders' output decodes back to the data;
// decode(…, as: .native) is the text itself.

import SwiftSQLCore

func isBase64Character(_ byte: UInt8) -> Bool {
  (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayloadDecoding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let bytes = input.rest()
  bytes.withUnsafeBytes { text in
    invariant(PayloadDecoding.decode(text, as: .native) == bytes, "native decoding changed the bytes")

    // Hex.
    if let decoded = PayloadDecoding.hex(text) {
      invariant(decoded.count * 2 == bytes.count, "\(bytes.count) hex digits decoded to \(decoded.count) bytes")
      let lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
      invariant(
        decoded.withUnsafeBytes { PayloadDecoding.encodeHex($0) } == lower, "hex \(shown(bytes)) does not re-encode")
      invariant(PayloadDecoding.decode(text, as: .hex) == decoded, "decode(.hex) differs from hex()")
    } else {
      invariant(
        bytes.count % 2 != 0
          || bytes.contains {
            !(($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66))
          },
        "the hex \(shown(bytes)) was refused")
    }

    // Base64.
    if let decoded = PayloadDecoding.base64(text) {
      let body = bytes.prefix { $0 != UInt8(ascii: "=") }
      let padding = bytes.count - body.count
      invariant(
        body.allSatisfy(isBase64Character) && padding <= 2
          && bytes[body.count...].allSatisfy { $0 == UInt8(ascii: "=") },
        "\(shown(bytes)) accepted as base64")
      invariant(
        decoded.count == body.count * 6 / 8, "\(body.count) base64 characters decoded to \(decoded.count) bytes")
      let encoded = decoded.withUnsafeBytes { PayloadDecoding.encodeBase64($0) }
      invariant(
        encoded.count == (decoded.count + 2) / 3 * 4, "the encoding of \(decoded.count) bytes has \(encoded.count)")
      invariant(encoded.withUnsafeBytes { PayloadDecoding.base64($0) } == decoded, "base64 does not round-trip")
      invariant(PayloadDecoding.decode(text, as: .base64) == decoded, "decode(.base64) differs from base64()")
    }

    // passlib's adapted base64: '.' for '+', so a '+' is refused.
    let adapted = PayloadDecoding.adaptedBase64(text)
    if bytes.contains(UInt8(ascii: "+")) {
      invariant(adapted == nil, "adapted base64 accepted a '+'")
    } else {
      let standard = bytes.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "+") : $0 }
      invariant(
        adapted == standard.withUnsafeBytes { PayloadDecoding.base64($0) }, "adapted base64 is not base64 with '.'")
    }

    // The encoders, over the bytes as data.
    let hex = PayloadDecoding.encodeHex(text)
    invariant(hex.withUnsafeBytes { PayloadDecoding.hex($0) } == bytes, "encodeHex does not round-trip")
    let base64 = PayloadDecoding.encodeBase64(text)
    invariant(base64.withUnsafeBytes { PayloadDecoding.base64($0) } == bytes, "encodeBase64 does not round-trip")
  }
  return 0
}
