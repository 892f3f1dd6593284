// Where a subcommand gets the password: `-p` on the command line, else one
// line from standard input when it is not a terminal (for scripts), else a
// prompt on the terminal with echo turned off. The password is held in
// SecretBytes and the line buffers are wiped.

import Glibc
import SwiftSQLCore
import SwiftSQLSystem

enum PasswordInput {
  /// The password from `option`, standard input, or a prompt.
  static func read(option: String?, prompt: String = "Password: ") -> SecretBytes? {
    if let option { return SecretBytes(Array(option.utf8)) }
    if isatty(STDIN_FILENO) == 0 { return readLine(from: STDIN_FILENO) }
    return promptWithoutEcho(prompt)
  }

  /// One line (without its newline) from `descriptor`; nil at immediate EOF.
  static func readLine(from descriptor: Int32) -> SecretBytes? {
    var line: [UInt8] = []
    defer { System.wipe(&line, count: line.count) }
    var byte: UInt8 = 0
    var sawAnything = false
    while true {
      let count = Glibc.read(descriptor, &byte, 1)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      sawAnything = true
      if byte == UInt8(ascii: "\n") { break }
      line.append(byte)
    }
    byte = 0
    if line.last == UInt8(ascii: "\r") { line.removeLast() }
    return sawAnything ? SecretBytes(line) : nil
  }

  /// Asks on the terminal with echo off, restoring the terminal after.
  static func promptWithoutEcho(_ prompt: String) -> SecretBytes? {
    printPrompt(prompt)
    var saved = termios()
    let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
    if haveTerminal {
      var quiet = saved
      quiet.c_lflag &= ~tcflag_t(ECHO)
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
    }
    let password = readLine(from: STDIN_FILENO)
    if haveTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
    printPrompt("\n")
    return password
  }

  private static func printPrompt(_ text: String) {
    writeToStandardError(text)
  }

  /// A new password: `-p`, one line of standard input when it is not a
  /// terminal, or asked twice on the terminal (nil when the two differ).
  static func readNew(option: String?) -> SecretBytes? {
    if let option { return SecretBytes(Array(option.utf8)) }
    if isatty(STDIN_FILENO) == 0 { return readLine(from: STDIN_FILENO) }
    guard let first = promptWithoutEcho("Enter new password: "),
      let second = promptWithoutEcho("Retype new password: ")
    else { return nil }
    let same = first.withBytes { a in second.withBytes { b in a.elementsEqual(b) } }
    return same ? first : nil
  }
}
