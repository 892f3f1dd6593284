// Hex and base64 decoding for the `.HEX`, `.B64` and `.BASE64` suffixes of a
// `{SCHEME}` prefix. Strict: any character outside the alphabet, an odd hex
// length or bad base64 padding is an error, never a partial result.

public enum PayloadDecoding {
  public static func decode(_ text: UnsafeRawBufferPointer, as encoding: PayloadEncoding) -> [UInt8]? {
    switch encoding {
    case .native: Array(text)
    case .hex: hex(text)
    case .base64: base64(text)
    }
  }

  /// Upper- or lower-case hex, an even number of digits.
  public static func hex(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
    guard text.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    result.reserveCapacity(text.count / 2)
    var index = 0
    while index < text.count {
      guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
      result.append(high << 4 | low)
      index += 2
    }
    return result
  }

  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case ascii("0")...ascii("9"): byte - ascii("0")
    case ascii("a")...ascii("f"): byte - ascii("a") + 10
    case ascii("A")...ascii("F"): byte - ascii("A") + 10
    default: nil
    }
  }

  /// Standard base64 (RFC 4648 §4) with `=` padding; padding may be omitted.
  public static func base64(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
    var values: [UInt8] = []
    values.reserveCapacity(text.count)
    var padding = 0
    for byte in text {
      if byte == ascii("=") {
        padding += 1
        continue
      }
      guard padding == 0, let value = base64Value(byte) else { return nil }
      values.append(value)
    }
    guard padding <= 2, values.count % 4 != 1 else { return nil }
    if padding > 0 && (values.count + padding) % 4 != 0 { return nil }
    var result: [UInt8] = []
    result.reserveCapacity(values.count * 3 / 4)
    var index = 0
    while index + 1 < values.count {
      let chunk = values[index..<min(index + 4, values.count)]
      let a = chunk[chunk.startIndex]
      let b = chunk[chunk.startIndex + 1]
      result.append(a << 2 | b >> 4)
      if chunk.count > 2 {
        let c = chunk[chunk.startIndex + 2]
        result.append((b & 0x0F) << 4 | c >> 2)
        if chunk.count > 3 {
          result.append((c & 0x03) << 6 | chunk[chunk.startIndex + 3])
        }
      }
      index += 4
    }
    return result
  }

  static func base64Value(_ byte: UInt8) -> UInt8? {
    switch byte {
    case ascii("A")...ascii("Z"): byte - ascii("A")
    case ascii("a")...ascii("z"): byte - ascii("a") + 26
    case ascii("0")...ascii("9"): byte - ascii("0") + 52
    case ascii("+"): 62
    case ascii("/"): 63
    default: nil
    }
  }
}

extension PayloadDecoding {
  static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  static let hexDigits = Array("0123456789abcdef".utf8)

  /// Standard base64 with `=` padding.
  public static func encodeBase64(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
      let a = bytes[index]
      let b = index + 1 < bytes.count ? bytes[index + 1] : 0
      let c = index + 2 < bytes.count ? bytes[index + 2] : 0
      result.append(base64Alphabet[Int(a >> 2)])
      result.append(base64Alphabet[Int((a & 0x03) << 4 | b >> 4)])
      result.append(index + 1 < bytes.count ? base64Alphabet[Int((b & 0x0F) << 2 | c >> 6)] : ascii("="))
      result.append(index + 2 < bytes.count ? base64Alphabet[Int(c & 0x3F)] : ascii("="))
      index += 3
    }
    return result
  }

  /// Lower-case hex.
  public static func encodeHex(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      result.append(hexDigits[Int(byte >> 4)])
      result.append(hexDigits[Int(byte & 0x0F)])
    }
    return result
  }

  /// passlib's "adapted base64": standard base64 with `.` for `+` and no
  /// padding.
  public static func adaptedBase64(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
    if text.contains(ascii("+")) { return nil }
    var standard = text.map { $0 == ascii(".") ? ascii("+") : $0 }
    defer { standard.withUnsafeMutableBytes { wipe($0) } }
    return standard.withUnsafeBytes { base64($0) }
  }
}
