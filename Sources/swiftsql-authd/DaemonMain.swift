// swiftsql-authd: pam_swiftsql's checks as a daemon that speaks saslauthd's
// protocol and Dovecot's auth-client protocol (also run as `pam-swiftsql
// serve`). This file reads the command line; Startup does the rest. Two
// entry points call it: main.swift when SwiftPM builds the daemon (full
// Swift, for `swift build`), Embedded/EntryPoint.swift when the Makefile
// builds the shipped one (Embedded Swift, which has no CommandLine).
// Exit status: 0 stopped cleanly (or --check found nothing wrong),
// 1 could not start, 2 usage error, 4 --check found a configuration error.

import SwiftSQLServe

enum DaemonMain {
  /// Runs the daemon with `arguments` (without the program's name).
  static func run(_ arguments: [String]) -> Never {
    let action: ServeAction
    do throws(ServeUsageError) {
      action = try ServeOptions.parse(arguments)
    } catch {
      ServeSystem.write("swiftsql-authd: \(error.message)\n", toStandardError: true)
      ServeSystem.exit(2)
    }

    switch action {
    case .help:
      ServeSystem.write(ServeOptions.help, toStandardError: false)
      ServeSystem.exit(0)
    case .version:
      ServeSystem.write("swiftsql-authd \(ServeVersion.text)\n", toStandardError: false)
      ServeSystem.exit(0)
    case .check(let options):
      ServeSystem.exit(Startup.check(options))
    case .serve(let options):
      ServeSystem.exit(Startup.serve(options))
    }
  }
}
