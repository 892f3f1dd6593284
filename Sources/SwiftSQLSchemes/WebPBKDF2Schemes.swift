// PBKDF2 as web applications store it when they set a user's password,
// recognised without a prefix:
//   Django:  pbkdf2_sha256$<iterations>$<salt>$<base64 key>  (and pbkdf2_sha1)
//   passlib: $pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 key>  (-sha512, and
//            $pbkdf2$ for SHA-1), "ab64" being base64 with '.' for '+'.
// Django's salt is used as its characters, passlib's as decoded bytes; the
// key is as long as the digest.

import SwiftSQLCore

extension PasswordScheme {
  /// How one form lays out its fields.
  struct WebPBKDF2Form: Sendable {
    let name: String
    let algorithm: DigestAlgorithm
    /// passlib's ab64 fields (decoded salt) rather than Django's.
    let passlib: Bool
  }

  static let webPBKDF2Forms: [WebPBKDF2Form] = [
    WebPBKDF2Form(name: "DJANGO-PBKDF2-SHA256", algorithm: .sha256, passlib: false),
    WebPBKDF2Form(name: "DJANGO-PBKDF2-SHA1", algorithm: .sha1, passlib: false),
    WebPBKDF2Form(name: "PASSLIB-PBKDF2-SHA256", algorithm: .sha256, passlib: true),
    WebPBKDF2Form(name: "PASSLIB-PBKDF2-SHA512", algorithm: .sha512, passlib: true),
    WebPBKDF2Form(name: "PASSLIB-PBKDF2-SHA1", algorithm: .sha1, passlib: true),
  ]

  static let webPBKDF2 = PasswordScheme(
    names: webPBKDF2Forms.map { .verified($0.name, .iterated) },
    payload: .text,
    verify: { password, stored, input in
      guard let form = webPBKDF2Forms.first(where: { $0.name == input.format.scheme }) else {
        return .unusable(problem: "unknown PBKDF2 form")
      }
      return stored.withBytes { bytes in
        let fields = bytes.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        // Django: name, iterations, salt, key. passlib: "", name, rounds, salt, key.
        let offset = form.passlib ? 1 : 0
        guard fields.count == 4 + offset, fields[1 + offset].count <= 10,
          let iterations = Int(String(decoding: fields[1 + offset], as: UTF8.self))
        else { return .unusable(problem: "its fields cannot be read") }
        guard (1...CostLimits.pbkdf2Iterations).contains(iterations) else {
          return .unusable(problem: "\(iterations) iterations are outside 1…\(CostLimits.pbkdf2Iterations)")
        }
        let decode: (Slice<UnsafeRawBufferPointer>) -> [UInt8]? = { field in
          let text = UnsafeRawBufferPointer(rebasing: field)
          return form.passlib ? PayloadDecoding.adaptedBase64(text) : PayloadDecoding.base64(text)
        }
        let salt = form.passlib ? decode(fields[2 + offset]) : Array(fields[2 + offset])
        guard let salt, let expected = decode(fields[3 + offset]), expected.count == form.algorithm.length else {
          return .unusable(problem: "its salt or key is not valid base64 of the right length")
        }
        let key = salt.withUnsafeBytes {
          LibCrypto.pbkdf2(
            form.algorithm, password: password.bytes, salt: $0, iterations: UInt32(iterations),
            length: form.algorithm.length)
        }
        guard let key else { return .unusable(problem: "libcrypto could not derive the key") }
        return key.withBytes { mine in expected.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
      }
    })
}
