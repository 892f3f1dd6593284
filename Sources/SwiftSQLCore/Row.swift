// One row of a query result as the drivers hand it to the core: the column
// names and each value's bytes (nil for SQL NULL). Values are SecretBytes
// because a row of the password query holds a hash.

public struct Row {
  public let columns: [String]
  public let values: [SecretBytes?]

  public init(columns: [String], values: [SecretBytes?]) {
    self.columns = columns
    self.values = values
  }

  /// The index of the column named `name`, compared without regard to case.
  public func index(of name: String) -> Int? {
    let wanted = name.lowercased()
    return columns.firstIndex { $0.lowercased() == wanted }
  }
}
