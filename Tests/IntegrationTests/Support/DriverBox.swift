// An InteractiveDriver (a PAM driver process that keeps the module's
// connection between logins) handed to the one load thread that uses it, so
// it can cross into a @Sendable closure.

/// An interactive PAM driver that one load worker owns and uses alone.
final class DriverBox: @unchecked Sendable {
  let driver: InteractiveDriver

  init(_ driver: InteractiveDriver) { self.driver = driver }
}
