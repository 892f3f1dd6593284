// scheme-bench: for each scheme, the time the module takes to verify a
// password (format detection, payload decoding, the scheme, the constant-
// time compare: SchemeRegistry.check, as pam_sm_authenticate runs it)
// against the time the C library itself takes for the same stored value
// (crypt_rn + compare, libsodium's Argon2id verifier, EVP digests,
// PKCS5_PBKDF2_HMAC),
// measured alternately in one run. The target is within 2 %.
//
//   swift run -c release scheme-bench [rounds]     (make bench-schemes)

import CLibCrypt
import CLibCrypto
import CLibSodium
import Foundation
import SwiftSQLCore
import SwiftSQLSchemes

let password = "correct horse battery staple"
let passwordBytes = Array(password.utf8)
let rounds = CommandLine.arguments.count == 2 ? Int(CommandLine.arguments[1]) ?? 7 : 7
guard let login = try? Login.parse(Array("alice@example.org".utf8), defaultDomain: nil) else { fatalError() }
let context = QueryContext(login: login, service: "bench", remoteHost: "")

func withPassword<R>(_ body: (Password) -> R) -> R {
  let cString = passwordBytes.map { CChar(bitPattern: $0) } + [0]
  return cString.withUnsafeBufferPointer { body(Password(cString: $0.baseAddress!, count: passwordBytes.count)) }
}

func stored(_ scheme: String, cost: Int? = nil) -> String {
  let made = withPassword { SchemeRegistry.generate($0, scheme: scheme, options: GenerateOptions(cost: cost)) }
  guard case .success(let value) = made else { fatalError("cannot make \(scheme)") }
  return value.nonSecretText
}

/// The module's path for one stored value.
func module(_ value: String) -> () -> Bool {
  let bytes = Array(value.utf8)
  let format = HashFormat.detect(bytes, defaultScheme: "CRYPT")
  let secret = SecretBytes(bytes)
  let registry = SchemeRegistry()
  return { withPassword { registry.check($0, stored: secret, format: format, context: context) == .match } }
}

/// The payload after `{SCHEME}`.
func payload(_ value: String) -> String { String(value[value.index(after: value.firstIndex(of: "}")!)...]) }

func cryptBaseline(_ value: String) -> () -> Bool {
  let setting = payload(value)
  var data = crypt_data()
  return {
    guard let out = crypt_rn(password, setting, &data, Int32(MemoryLayout<crypt_data>.size)) else { return false }
    return strcmp(out, setting) == 0
  }
}

func argon2Baseline(_ value: String) -> () -> Bool {
  let encoded = payload(value)
  _ = sodium_init()
  return { crypto_pwhash_argon2id_str_verify(encoded, password, UInt64(passwordBytes.count)) == 0 }
}

func ssha256Baseline(_ value: String) -> () -> Bool {
  let raw = Array(Data(base64Encoded: payload(value))!)
  let digest = Array(raw[0..<32])
  let salt = Array(raw[32...])
  return {
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 0
    let input = passwordBytes + salt
    EVP_Digest(input, input.count, &out, &length, EVP_sha256(), nil)
    return CRYPTO_memcmp(out, digest, 32) == 0
  }
}

func pbkdf2Baseline(_ value: String) -> () -> Bool {
  // $1$salt$rounds$hex
  let fields = payload(value).split(separator: "$")
  let salt = Array(fields[1].utf8)
  let iterations = Int32(fields[2])!
  let expected = stride(from: 0, to: 40, by: 2).map { UInt8(fields[3].dropFirst($0).prefix(2), radix: 16)! }
  return {
    var out = [UInt8](repeating: 0, count: 20)
    PKCS5_PBKDF2_HMAC(password, Int32(passwordBytes.count), salt, Int32(salt.count), iterations, EVP_sha1(), 20, &out)
    return CRYPTO_memcmp(out, expected, 20) == 0
  }
}

/// Seconds per call of `body`, the median of `rounds` batches.
func measure(_ body: () -> Bool, iterations: Int) -> Double {
  var samples: [Double] = []
  for _ in 0..<rounds {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations where !body() { fatalError("a check failed") }
    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations))
  }
  return samples.sorted()[samples.count / 2]
}

// `scheme-bench module|library SCHEME N`: one side only, N checks, for a
// profiler (valgrind --tool=callgrind counts instructions, immune to load).
if CommandLine.arguments.count > 3, ["module", "library"].contains(CommandLine.arguments[1]) {
  let value = stored(CommandLine.arguments[2])
  let baselines: [String: (String) -> () -> Bool] = [
    "ARGON2ID": argon2Baseline, "SSHA256": ssha256Baseline, "PBKDF2": pbkdf2Baseline,
  ]
  let check =
    CommandLine.arguments[1] == "module"
    ? module(value) : (baselines[CommandLine.arguments[2]] ?? cryptBaseline)(value)
  for _ in 0..<(Int(CommandLine.arguments[3]) ?? 1000) where !check() { fatalError("a check failed") }
  exit(0)
}

let cases: [(String, String, (String) -> () -> Bool, Int)] = [
  ("MD5-CRYPT", stored("MD5-CRYPT"), cryptBaseline, 2000),
  ("SHA512-CRYPT (5000)", stored("SHA512-CRYPT"), cryptBaseline, 300),
  ("BLF-CRYPT (cost 8)", stored("BLF-CRYPT", cost: 8), cryptBaseline, 30),
  ("YESCRYPT", stored("YESCRYPT"), cryptBaseline, 30),
  ("ARGON2ID (Dovecot's)", stored("ARGON2ID"), argon2Baseline, 5),
  ("SSHA256", stored("SSHA256"), ssha256Baseline, 50000),
  ("PBKDF2 (5000)", stored("PBKDF2"), pbkdf2Baseline, 300),
]

print("scheme                  library µs   module µs   module/library")
for (name, value, baseline, iterations) in cases {
  let library = baseline(value)
  let ours = module(value)
  // Alternate, so drift affects both sides alike.
  var libraryTimes: [Double] = []
  var moduleTimes: [Double] = []
  for _ in 0..<3 {
    libraryTimes.append(measure(library, iterations: iterations))
    moduleTimes.append(measure(ours, iterations: iterations))
  }
  let l = libraryTimes.min()!
  let m = moduleTimes.min()!
  print(
    name.padding(toLength: 24, withPad: " ", startingAt: 0)
      + String(format: "%10.1f  %10.1f   %+6.1f %%", l * 1e6, m * 1e6, (m / l - 1) * 100))
}
