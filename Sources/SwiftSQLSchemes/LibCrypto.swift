// The boundary to OpenSSL's libcrypto: every libcrypto function the schemes
// call is wrapped here once. All of it runs in a private library context
// (OSSL_LIB_CTX_new) with the default provider and the legacy one (for
// MD4), so the module neither reads openssl.cnf nor changes the OpenSSL
// state of the daemon that loaded it. Results derived from a password are
// returned as SecretBytes and intermediate buffers are wiped.

import CLibCrypto
import SwiftSQLCore
import SwiftSQLSystem

/// The digests the schemes use.
enum DigestAlgorithm: Sendable {
  case md4, md5, sha1, sha256, sha512

  /// The name OpenSSL fetches it by.
  var openSSLName: String {
    switch self {
    case .md4: "MD4"
    case .md5: "MD5"
    case .sha1: "SHA1"
    case .sha256: "SHA256"
    case .sha512: "SHA512"
    }
  }

  /// The digest's length in bytes.
  var length: Int {
    switch self {
    case .md4, .md5: 16
    case .sha1: 20
    case .sha256: 32
    case .sha512: 64
    }
  }
}

enum LibCrypto {
  /// A byte that lives as long as the process: libcrypto wants a non-NULL
  /// pointer even for empty input.
  nonisolated(unsafe) static let emptyInput: UnsafeMutableRawPointer = {
    let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
    byte.storeBytes(of: 0, as: UInt8.self)
    return byte
  }()

  /// The private library context, with the default and legacy providers
  /// loaded (`OSSL_LIB_CTX_new`, `OSSL_PROVIDER_load`). nil if libcrypto
  /// cannot create it; every function then reports failure.
  nonisolated(unsafe) static let context: OpaquePointer? = {
    guard let context = OSSL_LIB_CTX_new() else { return nil }
    guard OSSL_PROVIDER_load(context, "default") != nil else { return nil }
    // MD4 (PLAIN-MD4, OTP md4) lives in the legacy provider. Without it
    // those schemes report an unusable value; the others still work.
    _ = OSSL_PROVIDER_load(context, "legacy")
    return context
  }()

  /// `EVP_MD_fetch`, once per algorithm.
  nonisolated(unsafe) static let digests: [DigestAlgorithm: OpaquePointer] = {
    var table: [DigestAlgorithm: OpaquePointer] = [:]
    for algorithm in [DigestAlgorithm.md4, .md5, .sha1, .sha256, .sha512] {
      if let md = EVP_MD_fetch(context, algorithm.openSSLName, nil) { table[algorithm] = md }
    }
    return table
  }()

  /// The digest of the concatenated `parts` (`EVP_MD_CTX_new`,
  /// `EVP_DigestInit_ex`, `EVP_DigestUpdate`, `EVP_DigestFinal_ex`).
  static func digest(_ algorithm: DigestAlgorithm, _ parts: [UnsafeRawBufferPointer]) -> SecretBytes? {
    guard let md = digests[algorithm], let context = EVP_MD_CTX_new() else { return nil }
    defer { EVP_MD_CTX_free(context) }
    guard EVP_DigestInit_ex(context, md, nil) == 1 else { return nil }
    for part in parts where part.count > 0 {
      guard EVP_DigestUpdate(context, part.baseAddress, part.count) == 1 else { return nil }
    }
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    defer { System.wipe(&output, count: output.count) }
    var length: UInt32 = 0
    guard EVP_DigestFinal_ex(context, &output, &length) == 1 else { return nil }
    return output.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
  }

  /// HMAC of `data` with `key` (`EVP_Q_mac` with "HMAC").
  static func hmac(_ algorithm: DigestAlgorithm, key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer)
    -> SecretBytes?
  {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    defer { System.wipe(&output, count: output.count) }
    var length = 0
    let keyPointer = key.baseAddress ?? UnsafeRawPointer(emptyInput)
    let dataPointer = (data.baseAddress ?? UnsafeRawPointer(emptyInput)).assumingMemoryBound(to: UInt8.self)
    guard
      EVP_Q_mac(
        context, "HMAC", nil, algorithm.openSSLName, nil, keyPointer, key.count, dataPointer, data.count, &output,
        output.count, &length) != nil
    else { return nil }
    return output.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
  }

  /// PBKDF2-HMAC (`EVP_KDF_fetch("PBKDF2")`, `EVP_KDF_CTX_new`,
  /// `EVP_KDF_derive`), with SP 800-132's lower bounds off ("pkcs5" = 1):
  /// stored values from other tools may use short salts.
  static func pbkdf2(
    _ algorithm: DigestAlgorithm, password: UnsafeRawBufferPointer, salt: UnsafeRawBufferPointer,
    iterations: UInt32, length: Int
  ) -> SecretBytes? {
    guard length > 0, iterations > 0, let kdf = EVP_KDF_fetch(context, "PBKDF2", nil) else { return nil }
    defer { EVP_KDF_free(kdf) }
    guard let derivation = EVP_KDF_CTX_new(kdf) else { return nil }
    defer { EVP_KDF_CTX_free(derivation) }
    var output = [UInt8](repeating: 0, count: length)
    defer { System.wipe(&output, count: output.count) }
    // OSSL_PARAM keeps the pointers it is given, so every one of them must
    // stay valid until EVP_KDF_derive returns: static keys, scoped values.
    var rounds = iterations
    var noLowerBounds: Int32 = 1
    let derived = withUnsafeMutablePointer(to: &rounds) { roundsPointer in
      withUnsafeMutablePointer(to: &noLowerBounds) { noLowerBoundsPointer in
        algorithm.openSSLName.withCString { name in
          let parameters = [
            OSSL_PARAM_construct_octet_string(
              cKey("pass"), UnsafeMutableRawPointer(mutating: password.baseAddress) ?? emptyInput, password.count),
            OSSL_PARAM_construct_octet_string(
              cKey("salt"), UnsafeMutableRawPointer(mutating: salt.baseAddress) ?? emptyInput, salt.count),
            OSSL_PARAM_construct_uint(cKey("iter"), roundsPointer),
            OSSL_PARAM_construct_utf8_string(cKey("digest"), UnsafeMutablePointer(mutating: name), 0),
            OSSL_PARAM_construct_int(cKey("pkcs5"), noLowerBoundsPointer),
            OSSL_PARAM_construct_end(),
          ]
          return parameters.withUnsafeBufferPointer { EVP_KDF_derive(derivation, &output, length, $0.baseAddress) }
        }
      }
    }
    guard derived == 1 else { return nil }
    return output.withUnsafeBytes { SecretBytes(copying: $0) }
  }

  /// A parameter name as a C string that lives in constant memory.
  private static func cKey(_ key: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(key.utf8Start).assumingMemoryBound(to: CChar.self)
  }

  /// The MD5 chaining state (A, B, C, D) after one 64-byte block
  /// (`MD5_Init`, `MD5_Update`): what CRAM-MD5 stores of an HMAC-MD5 key.
  static func md5State(afterBlock block: UnsafeRawBufferPointer) -> [UInt32]? {
    guard block.count == 64 else { return nil }
    var state = MD5_CTX()
    defer { System.wipe(&state, count: MemoryLayout<MD5_CTX>.size) }
    guard MD5_Init(&state) == 1, MD5_Update(&state, block.baseAddress, 64) == 1 else { return nil }
    return [state.A, state.B, state.C, state.D]
  }

  /// `CRYPTO_memcmp`: equal contents, in time that does not depend on
  /// where they differ. Different lengths are unequal (lengths are not
  /// secret: a scheme's output has a fixed length).
  static func constantTimeEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    guard let left = lhs.baseAddress, let right = rhs.baseAddress else { return true }
    return CRYPTO_memcmp(left, right, lhs.count) == 0
  }
}
