// What reaches the log from outside: a field value that holds spaces, '='
// or quotes stays inside its field, so a login cannot forge a second
// `rhost=`; a database message keeps the administrator's own words (a
// column from the query) and loses the values it quotes; and no fragment
// of a new stored value survives in a line about it.

import SwiftSQLCore
import Testing

@Suite("Log text: fields, server messages, fragments")
struct LogSafetyTests {
  @Test(
    "plain values stand bare",
    arguments: ["alice@example.org", "smtp", "198.51.100.7", "2001:db8::1", "mail.example.org", "[::1]", ""])
  func bare(_ value: String) {
    #expect(LogText.field(value) == value)
  }

  @Test("a value with a space, '=', quote, backslash or control character is quoted and escaped")
  func quoted() {
    #expect(LogText.field("x rhost=203.0.113.66 @example.org") == "\"x rhost=203.0.113.66 @example.org\"")
    #expect(LogText.field("wrong password") == "\"wrong password\"")
    #expect(LogText.field("a\"b\\c") == "\"a\\\"b\\\\c\"")
    #expect(LogText.field("a\nb\u{1b}c") == "\"a\\x0ab\\x1bc\"")
    #expect(LogText.field("ünïcode") == "\"ünïcode\"")
  }

  @Test("a forged field cannot be read back as a field of its own")
  func forgeryStaysInside() {
    let line = "user=\(LogText.field("x rhost=203.0.113.66 y")) service=smtp rhost=\(LogText.field("198.51.100.7"))"
    // Outside the quotes there is exactly one rhost=.
    var outside = ""
    var inQuotes = false
    var escaped = false
    for character in line {
      if escaped {
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == "\"" {
        inQuotes.toggle()
      } else if !inQuotes {
        outside.append(character)
      }
    }
    #expect(outside.split(separator: " ").filter { $0.hasPrefix("rhost=") }.count == 1, "\(outside)")
    #expect(outside.hasSuffix("rhost=198.51.100.7"))
  }

  @Test("quoted values in a server message are masked unless the query has them")
  func masked() {
    let sql = "SELECT password::int FROM users WHERE username = $1"
    #expect(
      LogText.maskingQuotedText("invalid input syntax for type integer: \"{SSHA256}c2VjcmV0aGFzaA==\"") {
        LogText.occurs($0, in: sql)
      } == "invalid input syntax for type integer: \"…\"")
    #expect(
      LogText.maskingQuotedText("column \"username\" does not exist") { LogText.occurs($0, in: sql) }
        == "column \"username\" does not exist")
    #expect(
      LogText.maskingQuotedText("Incorrect integer value: '{ARGON2ID}$argon2id$v=19' for column `active`")
        == "Incorrect integer value: '…' for column `active`")
    #expect(LogText.maskingQuotedText("missing \"=\" after \"secret") == "missing \"…\" after \"…")
  }

  @Test("no run of eight or more bytes of a secret survives; the rest stays")
  func fragments() {
    let secret = Array("{SHA512-CRYPT}$6$abcdefgh$0123456789".utf8)
    #expect(
      LogText.removingFragments(of: secret, from: "value too long: 'CRYPT}$6$abcd' (1234567)")
        == "value too long: '…' (1234567)")
    #expect(LogText.removingFragments(of: secret, from: "no fragment here") == "no fragment here")
  }
}

@Suite("File safety: who may change what the module trusts")
struct FileSafetyTests {
  /// A file system from a table: path → (kind, owner, mode), and links.
  struct Tree {
    var entries: [String: PathStep] = [:]
    var links: [String: String] = [:]

    mutating func directory(_ path: String, owner: UInt32 = 0, mode: UInt32 = 0o755) {
      entries[path] = PathStep(path: path, kind: .directory, owner: owner, permissions: mode)
    }
    mutating func file(_ path: String, owner: UInt32 = 0, mode: UInt32 = 0o640) {
      entries[path] = PathStep(path: path, kind: .file, owner: owner, permissions: mode)
    }
    mutating func link(_ path: String, to target: String, owner: UInt32 = 0) {
      entries[path] = PathStep(path: path, kind: .symbolicLink, owner: owner, permissions: 0o777)
      links[path] = target
    }

    func problem(_ path: String, _ role: FileSafety.Role = .configuration) -> String? {
      switch FileSafety.steps(of: path, lstat: { entries[$0] }, readlink: { links[$0] }) {
      case .success(let steps): FileSafety.problem(steps, role: role)?.text
      case .failure(let failure): failure.message
      }
    }
  }

  static func etc() -> Tree {
    var tree = Tree()
    tree.directory("/")
    tree.directory("/etc")
    tree.directory("/tmp", mode: 0o1777)
    return tree
  }

  @Test("root's 0640 file in root's directories is trusted, and so is one in /tmp's sticky directory")
  func safe() {
    var tree = Self.etc()
    tree.file("/etc/pam_swiftsql.conf", mode: 0o640)
    tree.file("/tmp/pam_swiftsql.conf", mode: 0o600)
    #expect(tree.problem("/etc/pam_swiftsql.conf") == nil)
    #expect(tree.problem("/tmp/pam_swiftsql.conf") == nil)
  }

  @Test("a file owned by another user, or writable by group or others, is refused with the fix")
  func unsafeFile() {
    var tree = Self.etc()
    tree.file("/etc/a.conf", owner: 65534, mode: 0o640)
    tree.file("/etc/b.conf", mode: 0o660)
    tree.file("/etc/c.conf", mode: 0o666)
    #expect(tree.problem("/etc/a.conf")?.contains("uid 65534") == true)
    #expect(tree.problem("/etc/a.conf")?.contains("chown root /etc/a.conf") == true)
    #expect(tree.problem("/etc/b.conf")?.contains("chmod go-w /etc/b.conf") == true)
    #expect(tree.problem("/etc/c.conf")?.contains("0666") == true)
  }

  @Test("a directory on the way that others may change, or that another user owns, is refused")
  func unsafeDirectory() {
    var tree = Self.etc()
    tree.directory("/etc/open", mode: 0o777)
    tree.file("/etc/open/x.conf")
    tree.directory("/etc/theirs", owner: 1000)
    tree.file("/etc/theirs/x.conf")
    #expect(tree.problem("/etc/open/x.conf")?.contains("chmod go-w /etc/open") == true)
    #expect(tree.problem("/etc/theirs/x.conf")?.contains("chown root /etc/theirs") == true)
  }

  @Test("a symbolic link is followed: the link and where it leads are both judged")
  func links() {
    var tree = Self.etc()
    tree.directory("/srv", owner: 1000, mode: 0o755)
    tree.file("/srv/real.conf")
    tree.link("/etc/pam_swiftsql.conf", to: "/srv/real.conf")
    tree.file("/etc/safe.conf")
    tree.link("/etc/ok.conf", to: "safe.conf")
    tree.link("/etc/theirs.conf", to: "safe.conf", owner: 1000)
    #expect(tree.problem("/etc/pam_swiftsql.conf")?.contains("/srv") == true)
    #expect(tree.problem("/etc/ok.conf") == nil)
    #expect(tree.problem("/etc/theirs.conf")?.contains("/etc/theirs.conf") == true)
    tree.link("/etc/loop", to: "/etc/loop")
    #expect(tree.problem("/etc/loop")?.contains("too many symbolic links") == true)
  }

  @Test("the SQLite database may be a web application's, but not everyone's")
  func database() {
    var tree = Self.etc()
    tree.directory("/var")
    tree.directory("/var/www", owner: 33)
    tree.file("/var/www/users.db", owner: 33, mode: 0o660)
    tree.file("/var/www/open.db", owner: 33, mode: 0o666)
    tree.directory("/var/drop", mode: 0o777)
    tree.file("/var/drop/users.db", mode: 0o644)
    #expect(tree.problem("/var/www/users.db", .database) == nil)
    #expect(tree.problem("/var/www/open.db", .database)?.contains("chmod o-w /var/www/open.db") == true)
    #expect(tree.problem("/var/drop/users.db", .database)?.contains("chmod o-w /var/drop") == true)
  }

  @Test("a path that does not resolve is a problem, not a pass")
  func missing() {
    #expect(Self.etc().problem("/etc/nothing.conf")?.contains("cannot be read") == true)
    #expect(Self.etc().problem("relative.conf")?.contains("not an absolute path") == true)
  }
}
