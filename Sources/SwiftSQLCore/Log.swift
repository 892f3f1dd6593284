// The one logging interface of the module. The PAM glue writes through
// pam_syslog (facility authpriv); tests collect lines in memory. Callers pass
// only texts that hold no secret: logins, scheme names, database messages.

/// syslog priorities, as the PAM Module Writers' Guide uses them.
public enum LogLevel: Sendable {
  case error, warning, notice, info, debug
}

public struct Log {
  let write: (LogLevel, String) -> Void
  /// Whether `debug` lines are written (the `debug` setting).
  public let debugEnabled: Bool

  public init(debugEnabled: Bool, write: @escaping (LogLevel, String) -> Void) {
    self.debugEnabled = debugEnabled
    self.write = write
  }

  /// The same log with debug lines on or off (a configuration's `debug`
  /// is known only once it is read).
  public func debugging(_ enabled: Bool) -> Log { Log(debugEnabled: enabled, write: write) }

  /// A log that drops everything.
  public static var silent: Log { Log(debugEnabled: false) { _, _ in } }

  public func error(_ message: String) { write(.error, message) }
  public func warning(_ message: String) { write(.warning, message) }
  public func notice(_ message: String) { write(.notice, message) }
  public func info(_ message: String) { write(.info, message) }

  /// Written only with `debug`; the text is not even built otherwise.
  public func debug(_ message: @autoclosure () -> String) {
    if debugEnabled { write(.debug, message()) }
  }
}
