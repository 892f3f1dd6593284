// The boundary to libxcrypt: every libcrypt function the project calls is
// wrapped here, once, and its failure is read here (a NULL return, or an
// output starting with '*', libxcrypt's "*0"/"*1" failure tokens).

import CLibC
import CLibCrypt
import SwiftSQLCore
import SwiftSQLSystem

enum LibCryptError: Error, Equatable {
  /// The phrase is longer than libxcrypt hashes (CRYPT_MAX_PASSPHRASE_SIZE,
  /// ERANGE): no stored hash can be of it.
  case phraseTooLong
  /// libxcrypt refused the setting, i.e. the stored string.
  case settingRejected(errno: Int32)
}

enum LibCrypt {
  /// `crypt_rn(3)`: hashes `phrase` with the method, cost and salt that
  /// `setting` names (a complete stored hash is a valid setting). The work
  /// area holds intermediate values of the password and is wiped before it
  /// is freed.
  static func hash(
    phrase: UnsafePointer<CChar>, setting: UnsafePointer<CChar>
  ) -> Result<SecretBytes, LibCryptError> {
    let size = MemoryLayout<crypt_data>.size
    let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
    data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    defer {
      System.wipe(data, count: size)
      data.deallocate()
    }
    swiftsql_set_errno(0)
    guard let output = crypt_rn(phrase, setting, data, Int32(size)), output.pointee != CChar(UInt8(ascii: "*"))
    else {
      let code = swiftsql_errno()
      return .failure(code == ERANGE ? .phraseTooLong : .settingRejected(errno: code))
    }
    let length = strlen(output)
    return .success(SecretBytes(copying: UnsafeRawBufferPointer(start: output, count: length)))
  }

  /// `crypt_gensalt_rn(3)`: a setting for the method `prefix` names, with
  /// `count` rounds or cost (0 for the method's default) and a random salt
  /// from libxcrypt's own source.
  static func setting(prefix: String, count: Int) -> SecretBytes? {
    var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
    guard crypt_gensalt_rn(prefix, UInt(max(count, 0)), nil, 0, &output, Int32(output.count)) != nil,
      output.first != CChar(UInt8(ascii: "*"))
    else { return nil }
    return SecretBytes(output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
  }
}
