// Reads the cost a crypt(3) setting asks for, as libxcrypt encodes it, and
// says what is beyond CostLimits: bcrypt's cost, SHA-crypt's rounds=,
// yescrypt's and scrypt's N, r, p (and t), SunMD5's rounds= and BSDi's
// round count. A setting it cannot read is left to libxcrypt to refuse.

import SwiftSQLCore

enum CryptCost {
  /// The method whose cost `setting` asks for, by its prefix alone, as
  /// libxcrypt picks one: CryptFamily.identify also wants a whole value's
  /// shape (a BSDi setting is `_` and 8 characters, of any length after
  /// them) and does not know `$2x$`, bcrypt as well.
  static func method(of setting: [UInt8]) -> String? {
    if setting.first == UInt8(ascii: "_") { return "BSDI-CRYPT" }
    if setting.starts(with: "$2x$".utf8) { return "BLF-CRYPT" }
    return CryptFamily.identify(setting, allowDES: false)
  }

  /// The problem with `setting`'s cost for `method`, or nil if it is within
  /// the limits (or has no cost parameter).
  static func problem(_ setting: [UInt8], method: String) -> String? {
    switch method {
    case "BLF-CRYPT":
      // $2b$NN$…
      guard setting.count >= 7, let cost = Int(String(decoding: setting[4..<6], as: UTF8.self)) else { return nil }
      return cost > CostLimits.bcryptCost ? "bcrypt cost \(cost) is over the limit of \(CostLimits.bcryptCost)" : nil
    case "SHA512-CRYPT", "SHA256-CRYPT":
      // $6$rounds=N$…
      guard let rounds = numberAfter("rounds=", in: setting, at: 3) else { return nil }
      return rounds > CostLimits.shaCryptRounds
        ? "rounds=\(rounds) is over the limit of \(CostLimits.shaCryptRounds)" : nil
    case "SUNMD5-CRYPT":
      // $md5,rounds=N$… or $md5$rounds=N$…
      guard let rounds = numberAfter(",rounds=", in: setting, at: 4) ?? numberAfter("$rounds=", in: setting, at: 4)
      else { return nil }
      return rounds > CostLimits.sunMD5Rounds ? "rounds=\(rounds) is over the limit of \(CostLimits.sunMD5Rounds)" : nil
    case "SHA1-CRYPT":
      // $sha1$N$…, N read by strtoul, which also takes a sign ("-1" is
      // 2^32 - 1 rounds): anything but plain digits is refused.
      let field = setting.dropFirst(6).prefix { $0 != UInt8(ascii: "$") }
      guard !field.isEmpty, field.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
        let rounds = numberAfter("$sha1$", in: setting, at: 0)
      else { return "its rounds are not a decimal number" }
      return rounds > CostLimits.shaCryptRounds
        ? "\(rounds) rounds are over the limit of \(CostLimits.shaCryptRounds)" : nil
    case "BSDI-CRYPT":
      // _CCCC: 24-bit count, 4 characters, least significant first.
      guard setting.count >= 5, let rounds = fixed64(setting[1..<5]) else { return nil }
      return rounds > CostLimits.bsdiRounds ? "\(rounds) rounds are over the limit of \(CostLimits.bsdiRounds)" : nil
    case "YESCRYPT", "GOST-YESCRYPT":
      let start = method == "YESCRYPT" ? 3 : 4
      guard let parameters = yescryptParameters(setting, from: start) else { return nil }
      return memoryProblem(n: parameters.n, r: parameters.r, p: parameters.p, t: parameters.t)
    case "SCRYPT":
      guard let parameters = scryptParameters(setting) else { return nil }
      return memoryProblem(n: parameters.n, r: parameters.r, p: parameters.p, t: 0)
    default:
      return nil
    }
  }

  /// N, r, p of a `$7$` setting: N as log2 (1 character), r and p (5
  /// characters each).
  static func scryptParameters(_ setting: [UInt8]) -> (n: UInt64, r: UInt64, p: UInt64)? {
    guard setting.count >= 14, let logN = value64(setting[3]), logN >= 1, logN < 64,
      let r = fixed64(setting[4..<9]), let p = fixed64(setting[9..<14])
    else { return nil }
    return (UInt64(1) << UInt64(logN), UInt64(r), UInt64(p))
  }

  static func memoryProblem(n: UInt64, r: UInt64, p: UInt64, t: UInt64) -> String? {
    let (bytes, overflow) = n.multipliedReportingOverflow(by: r)
    let (total, overflow2) = bytes.multipliedReportingOverflow(by: 128 * max(p, 1))
    if overflow || overflow2 || total > UInt64(CostLimits.scryptFamilyBytes) {
      return "N=\(n), r=\(r), p=\(p) ask for more than \(CostLimits.scryptFamilyBytes >> 20) MiB"
    }
    if p > UInt64(CostLimits.scryptParallelism) { return "p=\(p) is over the limit of \(CostLimits.scryptParallelism)" }
    if t > UInt64(CostLimits.yescryptTime) { return "t=\(t) is over the limit of \(CostLimits.yescryptTime)" }
    return nil
  }

  /// The decimal number after `marker` at `offset`, if the marker is there.
  static func numberAfter(_ marker: String, in setting: [UInt8], at offset: Int) -> Int? {
    let markerBytes = Array(marker.utf8)
    guard setting.count > offset + markerBytes.count,
      setting[offset..<(offset + markerBytes.count)].elementsEqual(markerBytes)
    else { return nil }
    let digits = setting[(offset + markerBytes.count)...].prefix { $0 >= 0x30 && $0 <= 0x39 }
    // Over 18 digits is surely over every limit; Int would overflow.
    if digits.count > 18 { return Int.max }
    return Int(String(decoding: digits, as: UTF8.self))
  }

  /// crypt's base-64 alphabet: ./0-9A-Za-z.
  static func value64(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "."): 0
    case UInt8(ascii: "/"): 1
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0")) + 2
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(byte - UInt8(ascii: "A")) + 12
    case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(byte - UInt8(ascii: "a")) + 38
    default: nil
    }
  }

  /// A fixed-width little-endian number in crypt's base 64.
  static func fixed64(_ characters: ArraySlice<UInt8>) -> UInt32? {
    var value: UInt32 = 0
    var shift: UInt32 = 0
    for character in characters {
      guard let digit = value64(character) else { return nil }
      value |= digit << shift
      shift += 6
    }
    return value
  }

  /// yescrypt's variable-length number (libxcrypt's decode64_uint32).
  static func variable64(_ setting: [UInt8], at index: inout Int, minimum: UInt64) -> UInt64? {
    guard index < setting.count, let first = value64(setting[index]) else { return nil }
    index += 1
    var start: UInt64 = 0
    var end: UInt64 = 47
    var characters = 1
    var bits: UInt64 = 0
    var value = minimum
    let c = UInt64(first)
    while c > end {
      value += (end + 1 - start) << bits
      start = end + 1
      end = start + (62 - end) / 2
      characters += 1
      bits += 6
    }
    value += (c - start) << bits
    while characters > 1 {
      characters -= 1
      guard index < setting.count, let next = value64(setting[index]) else { return nil }
      index += 1
      bits -= 6
      value += UInt64(next) << bits
    }
    return value
  }

  /// N, r, p, t of a `$y$`/`$gy$` setting starting at `start`.
  static func yescryptParameters(_ setting: [UInt8], from start: Int) -> (n: UInt64, r: UInt64, p: UInt64, t: UInt64)? {
    var index = start
    guard variable64(setting, at: &index, minimum: 0) != nil,
      let logN = variable64(setting, at: &index, minimum: 1), logN < 64,
      let r = variable64(setting, at: &index, minimum: 1)
    else { return nil }
    var p: UInt64 = 1
    var t: UInt64 = 0
    if index < setting.count && setting[index] != UInt8(ascii: "$") {
      guard let have = variable64(setting, at: &index, minimum: 1) else { return nil }
      if have & 1 != 0 {
        guard let value = variable64(setting, at: &index, minimum: 2) else { return nil }
        p = value
      }
      if have & 2 != 0 {
        guard let value = variable64(setting, at: &index, minimum: 1) else { return nil }
        t = value
      }
    }
    return (UInt64(1) << logN, r, p, t)
  }
}
