// Every hash-string parser: HashFormat.detect, then SchemeRegistry().check,
// exactly as the module runs them, over arbitrary stored values under every
// scheme name the registry knows, as a default_pass_scheme or as a
// {SCHEME}, {SCHEME.HEX} or {SCHEME.B64} prefix; and new values made by
// SchemeRegistry.generate. (The fuzz build's CostLimits are lower than the
// module's: fuzz/Support/CostLimits.swift.)
//
// Input: a scheme selector byte (0 is CRYPT, then the registry's names in
// order); a mode byte (bits 0–1: the value as it is, or with {NAME},
// {NAME.HEX} or {NAME.B64} put in front; bit 2: also make a new value of
// that scheme for the password and check it; bit 3: a login follows the
// password, its length in one byte); the password's length in one byte; the
// password; [the login;] the stored value.
//
// Invariants: nothing traps or runs past libFuzzer's -timeout; detect
// reads a payload offset inside the value, upper-case names, and an
// encoding only from a prefix; checking is deterministic; a value never
// matches a password that did not make it: a fixed secret the input cannot
// hold matches no value of a hashing scheme, and of a plaintext scheme
// only one that holds the secret (PLAIN-TRUNC: its first N > 0 bytes), and
// the input's own password matches a plaintext value only on the same
// terms, the same way every time; an empty stored value never matches; a refusal never quotes the
// secret or the stored payload; a value the registry makes matches its
// password and not the secret.

import SwiftSQLCore
import SwiftSQLSchemes

/// The scheme names a selector byte picks from.
let schemeChoices: [String] = ["CRYPT"] + SchemeRegistry.names.map { $0.name }.filter { $0 != "CRYPT" }

/// No input can hold it in full (the harness drops the check when one does).
let secret: [UInt8] = Array("fuzz·secret·Vq9!x#Lr2@Zp".utf8)

let plaintextSchemes: Set<String> = ["PLAIN", "CLEAR", "CLEARTEXT", "PLAIN-TRUNC"]

/// The cheapest cost to make each scheme with; nil: do not make it here
/// (Argon2's memory and scrypt's smallest N are over the fuzz limits).
let generateCosts: [String: Int?] = [
  "BLF-CRYPT": 4, "SHA512-CRYPT": 1000, "SHA256-CRYPT": 1000, "PBKDF2": 1000, "SCRAM-SHA-1": 4096,
  "SCRAM-SHA-256": 4096, "OTP": 5, "CRYPT": 1, "YESCRYPT": 1, "GOST-YESCRYPT": 1,
]
let neverGenerated: Set<String> = ["ARGON2ID", "ARGON2I", "SCRYPT"]

let defaultLogin: Login? = try? Login.parse(Array("alice@example.org".utf8), defaultDomain: nil)

func withPassword<R>(_ bytes: [UInt8], _ body: (Password) -> R) -> R {
  let cString = (bytes + [0]).map { CChar(bitPattern: $0) }
  return cString.withUnsafeBufferPointer { buffer in
    guard let base = buffer.baseAddress else { fatalError("a non-empty array without storage") }
    return body(Password(cString: base, count: bytes.count))
  }
}

func check(_ password: [UInt8], _ stored: [UInt8], _ format: HashFormat, _ context: QueryContext) -> CheckOutcome {
  withPassword(password) { SchemeRegistry().check($0, stored: SecretBytes(stored), format: format, context: context) }
}

/// Whether a plaintext-scheme value's payload explains a match with
/// `password`: it is the password, or (PLAIN-TRUNC) `N-` and the password's
/// first N > 0 bytes.
func plaintextExplains(_ payload: [UInt8], scheme: String, password: [UInt8]) -> Bool {
  if scheme != "PLAIN-TRUNC" { return payload == password }
  let digits = payload.prefix { $0 >= 0x30 && $0 <= 0x39 }
  guard !digits.isEmpty, digits.count < payload.count, payload[digits.count] == UInt8(ascii: "-"),
    let length = Int(text(Array(digits)))
  else { return false }
  let kept = Array(payload[(digits.count + 1)...])
  if kept == password { return true }
  return length > 0 && kept.count == length && password.count >= length && Array(password[..<length]) == kept
}

/// The payload as the registry hands it to a text scheme.
func decodedPayload(_ stored: [UInt8], _ format: HashFormat) -> [UInt8]? {
  let payload = Array(stored[min(format.payloadOffset, stored.count)...])
  return payload.withUnsafeBytes { PayloadDecoding.decode($0, as: format.encoding) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHashString(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let name = schemeChoices[Int(input.byte()) % schemeChoices.count]
  let mode = input.byte()
  // PAM hands over a C string: no NUL inside a password.
  let password = input.take(Int(input.byte())).filter { $0 != 0 }
  var login = defaultLogin
  if mode & 8 != 0 { login = (try? Login.parse(input.take(Int(input.byte())), defaultDomain: "example.org")) ?? login }
  var stored = input.rest()
  switch mode & 3 {
  case 1: stored = Array("{\(name)}".utf8) + stored
  case 2: stored = Array("{\(name).HEX}".utf8) + stored
  case 3: stored = Array("{\(name).B64}".utf8) + stored
  default: break
  }
  guard let login else { return 0 }
  let context = QueryContext(login: login, service: "smtp", remoteHost: "")

  // The format.
  let format = HashFormat.detect(stored, defaultScheme: name)
  invariant(HashFormat.detect(stored, defaultScheme: name) == format, "detect is not deterministic")
  invariant(format.payloadOffset >= 0 && format.payloadOffset <= stored.count, "payload offset \(format.payloadOffset)")
  invariant(!format.scheme.isEmpty && format.scheme == format.scheme.uppercased(), "scheme \(shown(format.scheme))")
  invariant(format.hasPrefix == (format.payloadOffset > 0), "hasPrefix \(format.hasPrefix) at \(format.payloadOffset)")
  if format.hasPrefix {
    invariant(stored.first == UInt8(ascii: "{") && stored[format.payloadOffset - 1] == UInt8(ascii: "}"), "prefix")
  } else {
    invariant(format.encoding == .native, "an encoding without a prefix")
  }
  let payload = Array(stored[format.payloadOffset...])

  // The secret: no value matches it unless it holds it.
  let bySecret = check(secret, stored, format, context)
  switch bySecret {
  case .match:
    invariant(
      plaintextSchemes.contains(format.scheme)
        && plaintextExplains(decodedPayload(stored, format) ?? [], scheme: format.scheme, password: secret),
      "\(shown(stored)) read as \(format.scheme) matches a password that did not make it")
  case .mismatch:
    break
  case .unusable(let problem), .unusableAfterHashing(let problem):
    invariant(!contains(problem, text(secret)), "a problem quotes the password")
    if payload.count >= 16, let payloadText = String(validating: payload, as: UTF8.self) {
      invariant(!contains(problem, payloadText), "the problem \(shown(problem)) quotes the stored payload")
    }
  }
  if stored.isEmpty { invariant(bySecret != .match, "an empty stored value matched") }

  // The input's own password: a plaintext value matches only itself, and
  // checking is deterministic. (Only where it can be told apart from a hash
  // the input made: checking costs the scheme's work once more.)
  if !password.isEmpty, password != secret, plaintextSchemes.contains(format.scheme) || stored.isEmpty {
    let outcome = check(password, stored, format, context)
    invariant(check(password, stored, format, context) == outcome, "checking twice differs")
    if outcome == .match {
      invariant(
        !stored.isEmpty
          && plaintextExplains(decodedPayload(stored, format) ?? [], scheme: format.scheme, password: password),
        "\(shown(stored)) read as \(format.scheme) matches \(shown(password)), which did not make it")
    }
  }

  // A new value of the scheme: it matches its password, not the secret.
  if mode & 4 != 0, SchemeRegistry.canGenerate(name), !neverGenerated.contains(name), !password.isEmpty {
    let cost = generateCosts[name] ?? nil
    let made = withPassword(password) {
      SchemeRegistry.generate($0, scheme: name, options: GenerateOptions(cost: cost, login: login))
    }
    if case .success(let value) = made {
      let bytes = value.withBytes { Array($0) }
      let madeFormat = HashFormat.detect(bytes, defaultScheme: "CRYPT")
      let own = check(password, bytes, madeFormat, context)
      invariant(own == .match, "\(name) made \(shown(bytes)) for \(shown(password)), which checks as \(own)")
      let explained =
        plaintextSchemes.contains(madeFormat.scheme)
        && plaintextExplains(decodedPayload(bytes, madeFormat) ?? [], scheme: madeFormat.scheme, password: secret)
      if password != secret && !explained {
        invariant(
          check(secret, bytes, madeFormat, context) != .match, "\(name) made a value that matches another password")
      }
    }
  }
  return 0
}
