// The password of the current login, borrowed from PAM: a view of the
// NUL-terminated authentication token that `pam_get_authtok` returns. It is
// never copied; PAM overwrites its own buffer when the transaction ends.

public struct Password {
  /// The NUL-terminated bytes, valid for the duration of the PAM call.
  public let cString: UnsafePointer<CChar>
  /// The length without the NUL.
  public let count: Int

  public init(cString: UnsafePointer<CChar>, count: Int) {
    self.cString = cString
    self.count = count
  }

  public var isEmpty: Bool { count == 0 }

  /// The bytes, without the NUL.
  public var bytes: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: UnsafeRawPointer(cString), count: count)
  }
}
