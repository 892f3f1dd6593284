// Comparison of secrets in time that does not depend on where they differ:
// every byte is read, differences are OR-ed together, and there is no early
// exit. Only the lengths, which are not secret (a scheme's output has a fixed
// length), decide early.

public enum ConstantTime {
  public static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in 0..<lhs.count {
      difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
  }
}
