// How module arguments become a configuration: which file they name
// (ConfigurationDialect's plan), that file read and decoded, and
// Configuration.resolve over both with the schemes the module knows. One
// loader for everyone who must reach the module's answer: the module and the
// daemon (SwiftSQLRuntime's ConfigurationStore, which reads the live system
// steadily and with its safety checks) and the doctor (which reads a tree,
// perhaps another root). Only the reading differs: each brings its own
// `ConfigurationFiles`.

/// Where the loader finds files.
public protocol ConfigurationFiles {
  /// Why a file that exists could not be read, in the reader's own terms.
  associatedtype ReadFailure: Error

  /// Whether there is a file at `path` (the plan chooses between our file
  /// and pam_pgsql's by this).
  func exists(_ path: String) -> Bool

  /// The file's bytes; nil when there is no file at `path`.
  mutating func contents(of path: String) throws(ReadFailure) -> [UInt8]?
}

/// Why no configuration was loaded.
public enum ConfigurationLoadError<ReadFailure: Error>: Error {
  /// The file exists but could not be read.
  case unreadable(ReadFailure)
  /// The file was read (or there is none) but does not make a
  /// configuration: not UTF-8, or refused by Configuration.resolve.
  case invalid(ConfigurationError)
}

public struct ConfigurationLoader: Sendable {
  let isKnownScheme: @Sendable (String) -> Bool
  let canGenerateScheme: @Sendable (String) -> Bool

  /// - Parameters:
  ///   - isKnownScheme: whether the module can verify a scheme name.
  ///   - canGenerateScheme: whether it can make new values in a scheme.
  public init(
    isKnownScheme: @escaping @Sendable (String) -> Bool, canGenerateScheme: @escaping @Sendable (String) -> Bool
  ) {
    self.isKnownScheme = isKnownScheme
    self.canGenerateScheme = canGenerateScheme
  }

  /// Which language the arguments speak and which file they name.
  public func plan(arguments: [String], files: some ConfigurationFiles) -> ConfigurationPlan {
    ConfigurationDialect.plan(arguments: arguments) { files.exists($0) }
  }

  /// The plan's file as text: nil when the plan names none or it does not
  /// exist.
  public func fileText<Files: ConfigurationFiles>(of plan: ConfigurationPlan, files: inout Files)
    throws(ConfigurationLoadError<Files.ReadFailure>) -> String?
  {
    guard let path = plan.file else { return nil }
    let bytes: [UInt8]?
    do { bytes = try files.contents(of: path) } catch { throw .unreadable(error) }
    guard let bytes else { return nil }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw .invalid(ConfigurationError("\(path) is not valid UTF-8"))
    }
    return text
  }

  /// The configuration of `arguments` and the plan's file text.
  public func resolve(plan: ConfigurationPlan, fileText: String?, arguments: [String]) throws(ConfigurationError)
    -> Configuration
  {
    try Configuration.resolve(
      plan: plan, fileText: fileText, arguments: arguments, isKnownScheme: isKnownScheme,
      canGenerateScheme: canGenerateScheme)
  }

  /// The configuration of `arguments` under `plan`: its file read through
  /// `files`, then resolved.
  public func load<Files: ConfigurationFiles>(plan: ConfigurationPlan, arguments: [String], files: inout Files)
    throws(ConfigurationLoadError<Files.ReadFailure>) -> Configuration
  {
    let text = try fileText(of: plan, files: &files)
    do { return try resolve(plan: plan, fileText: text, arguments: arguments) } catch { throw .invalid(error) }
  }
}
