// Bytes that must not outlive their use: a stored hash read from the
// database, or a password the tool read from a terminal. The buffer is
// allocated once, always followed by a NUL so C functions can read it in
// place, and overwritten with zeros before it is freed. The type is a class
// so that it is never silently copied.

public final class SecretBytes {
  /// `count` bytes followed by a NUL.
  private let base: UnsafeMutableRawPointer
  /// The number of bytes, without the trailing NUL.
  public let count: Int

  /// Copies `source` into a new buffer.
  public init(copying source: UnsafeRawBufferPointer) {
    count = source.count
    base = SecretBytes.copyWithNUL(source)
  }

  /// Copies `bytes` (tests and literals; real secrets use `init(copying:)`).
  public init(_ bytes: [UInt8]) {
    count = bytes.count
    base = bytes.withUnsafeBytes { SecretBytes.copyWithNUL($0) }
  }

  private static func copyWithNUL(_ source: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
    let base = UnsafeMutableRawPointer.allocate(byteCount: source.count + 1, alignment: 1)
    if let sourceBase = source.baseAddress, source.count > 0 {
      base.copyMemory(from: sourceBase, byteCount: source.count)
    }
    base.storeBytes(of: 0, toByteOffset: source.count, as: UInt8.self)
    return base
  }

  deinit {
    wipe(UnsafeMutableRawBufferPointer(start: base, count: count + 1))
    base.deallocate()
  }

  public var isEmpty: Bool { count == 0 }

  /// The bytes, without the trailing NUL, for the duration of `body`.
  public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(start: base, count: count))
  }

  /// The bytes as a NUL-terminated C string, for the duration of `body`.
  /// A value with an embedded NUL is cut there by C; callers that care check
  /// `containsNUL` first.
  public func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self))
  }

  /// Whether a NUL occurs before the end (C would see a shorter string).
  public var containsNUL: Bool {
    withBytes { $0.contains(0) }
  }

  /// A copy of the bytes as an array, for code that is not secret-sensitive
  /// (account flags). Never use it for a hash or a password.
  public var nonSecretText: String {
    withBytes { String(decoding: $0, as: UTF8.self) }
  }
}

/// Overwrites `buffer` with zeros (an optimised memset), then shows the
/// buffer to `observe`, which the optimiser may not look into: so the zeros
/// cannot be dropped as dead stores before the memory is freed. (The core
/// has no C, so it cannot call explicit_bzero; the C layers do.)
@inline(never)
public func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
  guard let base = buffer.baseAddress, buffer.count > 0 else { return }
  base.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
  observe(base)
}

/// Does nothing, unoptimised: to the optimiser, a call that may read the
/// memory it is given.
@inline(never) @_optimize(none)
func observe(_ pointer: UnsafeMutableRawPointer) {}
