// swiftsql-authd: pam_swiftsql's checks as a daemon that speaks saslauthd's
// protocol and Dovecot's auth-client protocol (also run as `pam-swiftsql
// serve`). This file reads the command line; Startup does the rest.
// Exit status: 0 stopped cleanly (or --check found nothing wrong),
// 1 could not start, 2 usage error, 4 --check found a configuration error.

import SwiftSQLServe

let action: ServeAction
do {
  action = try ServeOptions.parse(Array(CommandLine.arguments.dropFirst()))
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
