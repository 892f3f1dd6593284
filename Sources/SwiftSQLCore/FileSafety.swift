// Who may change the files the module trusts. Whoever can write the
// configuration can make every login succeed (`password_query = SELECT
// '{PLAIN}x' …`), and whoever can replace a file or a directory on the way
// to it can do the same; so, as sshd's StrictModes does, the module refuses a
// configuration file, a credentials file (a MariaDB option file, a pgpass
// file) or any directory or symbolic link on the way to one that is not
// owned by root or that its group or others may write. A directory that
// others may write but that has the sticky bit (/tmp) is allowed: nobody but
// the owner of an entry in it can rename or remove the entry, and the entry
// must be root's. The SQLite database file may belong to the web application
// that writes it, but not be writable by everyone, nor sit in a directory
// everyone may change.
//
// The rule is pure: `steps` resolves a path the way the kernel does, through
// two small capabilities (lstat and readlink), so the module, the doctor
// and the unit tests all judge the same objects with the same rule.

/// One object the kernel visits to resolve a path: each directory, each
/// symbolic link, and the file at the end.
public struct PathStep: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case directory
    case symbolicLink
    case file
  }

  public let path: String
  public let kind: Kind
  public let owner: UInt32
  /// The permission bits, sticky bit included (st_mode & 07777).
  public let permissions: UInt32

  public init(path: String, kind: Kind, owner: UInt32, permissions: UInt32) {
    self.path = path
    self.kind = kind
    self.owner = owner
    self.permissions = permissions & 0o7777
  }
}

public enum FileSafety {
  /// What a file holds, which decides the rule it is judged by.
  public enum Role: Sendable {
    /// The module's configuration (or pam_mysql's / pam_pgsql's).
    case configuration
    /// A file that holds database credentials and where to connect.
    case credentials
    /// The SQLite database that holds the stored hashes.
    case database
  }

  /// The most symbolic links followed, as the kernel's limit.
  static let maximumLinks = 40

  /// The objects visited to resolve the absolute `path`, in order, from
  /// "/" to the file. `lstat` gives a path's kind, owner and permissions
  /// (nil if it cannot be read); `readlink` a link's target.
  public static func steps(
    of path: String, lstat: (String) -> PathStep?, readlink: (String) -> String?
  ) -> Result<[PathStep], FileSafetyProblem> {
    guard path.hasPrefix("/") else {
      return .failure(FileSafetyProblem("\(path) is not an absolute path"))
    }
    guard let root = lstat("/") else { return .failure(FileSafetyProblem("/ cannot be read")) }
    var steps = [root]
    var resolved: [Substring] = []
    var pending = components(path)
    var links = 0
    while !pending.isEmpty {
      let name = pending.removeFirst()
      if name == ".." {
        if !resolved.isEmpty { resolved.removeLast() }
        continue
      }
      let candidate = "/" + (resolved + [name]).joined(separator: "/")
      guard let step = lstat(candidate) else {
        return .failure(FileSafetyProblem("\(candidate) cannot be read"))
      }
      steps.append(step)
      guard step.kind == .symbolicLink else {
        resolved.append(name)
        continue
      }
      links += 1
      guard links <= maximumLinks, let target = readlink(candidate) else {
        return .failure(FileSafetyProblem("\(candidate): too many symbolic links, or one that cannot be read"))
      }
      if target.hasPrefix("/") { resolved = [] }
      pending = components(target) + pending
    }
    return .success(steps)
  }

  /// The path's components, without empty ones and ".".
  static func components(_ path: String) -> [Substring] {
    path.split(separator: "/").filter { $0 != "." }
  }

  /// Why a file may not be trusted, and the command that fixes it.
  public struct Finding: Equatable, Sendable {
    public let problem: String
    public let fix: String

    public init(problem: String, fix: String) {
      self.problem = problem
      self.fix = fix
    }

    /// Both, as one log line.
    public var text: String { "\(problem): \(fix)" }
  }

  /// The first reason `steps` (from `steps(of:)`) make a file of `role`
  /// unsafe to trust, with what to do; nil when it is safe. `trusted` are
  /// the owners besides root whose files are trusted: the process's own
  /// user (a daemon that runs as its own user owns its password file).
  public static func problem(_ steps: [PathStep], role: Role, trusted: [UInt32] = []) -> Finding? {
    guard let file = steps.last else { return nil }
    let what: String
    switch role {
    case .configuration: what = "the configuration"
    case .credentials: what = "the database credentials"
    case .database: what = "the stored passwords"
    }
    for step in steps {
      let isFile = step.path == file.path && step.kind != .directory
      let groupOrOthersWrite = step.permissions & 0o022 != 0
      let othersWrite = step.permissions & 0o002 != 0
      let sticky = step.permissions & 0o1000 != 0
      switch (role, step.kind) {
      case (.database, .directory):
        if othersWrite && !sticky {
          return Finding(
            problem: "\(step.path) may be changed by every user (mode \(octal(step.permissions))), so anyone "
              + "could replace \(what) in \(file.path)", fix: "chmod o-w \(step.path)")
        }
      case (.database, _) where isFile:
        if othersWrite {
          return Finding(
            problem: "\(file.path) may be written by every user (mode \(octal(step.permissions))), and it holds "
              + "\(what)", fix: "chmod o-w \(file.path)")
        }
      case (.database, _):
        continue
      case (_, .directory):
        if step.owner != 0 && !trusted.contains(step.owner) {
          return Finding(
            problem: "\(step.path) is owned by uid \(step.owner), not root, so that user could replace \(what) "
              + "in \(file.path) and make every login succeed", fix: "chown root \(step.path)")
        }
        if groupOrOthersWrite && !sticky {
          return Finding(
            problem: "\(step.path) may be changed by its group or by every user (mode \(octal(step.permissions))), "
              + "so they could replace \(what) in \(file.path) and make every login succeed",
            fix: "chmod go-w \(step.path)")
        }
      case (_, .symbolicLink), (_, .file):
        if step.owner != 0 && !trusted.contains(step.owner) {
          return Finding(
            problem: "\(step.path) is owned by uid \(step.owner), not root, and it holds \(what): whoever can "
              + "change it can make every login succeed", fix: "chown root \(step.path)")
        }
        if step.kind == .file && groupOrOthersWrite {
          return Finding(
            problem: "\(step.path) may be written by its group or by every user (mode \(octal(step.permissions))), "
              + "and it holds \(what): whoever can change it can make every login succeed",
            fix: "chmod go-w \(step.path)")
        }
      }
    }
    return nil
  }

  /// `mode` as four octal digits, e.g. 0640.
  public static func octal(_ mode: UInt32) -> String {
    let digits = Array("01234567".utf8)
    var text: [UInt8] = []
    for shift in stride(from: 9, through: 0, by: -3) { text.append(digits[Int((mode >> UInt32(shift)) & 7)]) }
    return String(decoding: text, as: UTF8.self)
  }
}

/// Why a path could not be judged (it cannot be read, or resolves badly).
public struct FileSafetyProblem: Error, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
}
