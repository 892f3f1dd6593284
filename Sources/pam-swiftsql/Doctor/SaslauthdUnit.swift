// saslauthd.service as systemd reads it (what `systemctl cat saslauthd`
// shows), from the system or a --root tree, without asking systemd: the unit
// file found first on systemd's search path (/etc, /run, /usr/local/lib,
// /usr/lib, /lib), then its drop-ins (`saslauthd.service.d/*.conf` in any of
// those directories; a name in /etc hides the same name further down),
// applied in the order of their file names. Debian 13's sasl2-bin ships this
// unit (Type=forking, PIDFile=/var/run/saslauthd/saslauthd.pid,
// RuntimeDirectory=saslauthd, EnvironmentFile=/etc/default/saslauthd,
// ExecStart=/usr/sbin/saslauthd -a $MECHANISMS $MECH_OPTIONS $OPTIONS -n
// $THREADS); Debian 12's has none (systemd runs the init script, which
// reads START and defaults OPTIONS to "-c -m /var/run/saslauthd"). An
// empty assignment empties a list setting; "$VAR" alone in a command is
// split into words, "${VAR}" is one word; the prefixes - @ + ! : of a command
// are dropped (systemd.service(5), systemd.exec(5)).

struct SaslauthdUnit: Equatable {
  static let name = "saslauthd.service"
  static let searchPath = [
    "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
    "/lib/systemd/system",
  ]
  /// Where `systemctl enable` puts a unit's links.
  static let enableDirectory = "/etc/systemd/system"

  /// The unit file, then the drop-ins, in the order systemd applies them.
  let files: [String]
  /// The [Service] settings after every file, each a list of values.
  let settings: [String: [String]]
  /// `systemctl enable saslauthd` was run: some target in /etc wants it.
  let enabled: Bool

  var dropIns: [String] { Array(files.dropFirst()) }

  /// The value systemd uses for a single-valued setting (the last one).
  func value(_ key: String) -> String? { settings[key]?.last }

  /// PIDFile, with the /var/run → /run rewrite systemd makes.
  var pidFile: String? {
    guard let path = value("PIDFile"), !path.isEmpty else { return nil }
    return path.hasPrefix("/var/run/") ? String(path.dropFirst("/var".count)) : path
  }

  /// The directories systemd makes in /run at start and removes at stop.
  var runtimeDirectories: [String] {
    (settings["RuntimeDirectory"] ?? []).flatMap { $0.words }.map { "/run/" + $0 }
  }

  /// The EnvironmentFile paths ("-" before one: it may be missing).
  var environmentFiles: [(path: String, optional: Bool)] {
    (settings["EnvironmentFile"] ?? []).flatMap { $0.words }.map {
      $0.hasPrefix("-") ? (String($0.dropFirst()), true) : ($0, false)
    }
  }

  /// The commands of a list setting (ExecStartPre …), prefixes dropped.
  func commands(_ key: String) -> [String] {
    (settings[key] ?? []).map { String($0.drop { "-@+!:".contains($0) }) }
  }

  /// ExecStart's words with the variables of the environment files.
  func arguments(variables: [String: String]) -> [String] {
    guard let line = commands("ExecStart").last else { return [] }
    var result: [String] = []
    for word in line.words {
      if word.hasPrefix("$"), !word.hasPrefix("${"), word.dropFirst().allSatisfy(SaslauthdUnit.isNameCharacter) {
        result += (variables[String(word.dropFirst())] ?? "").words
        continue
      }
      // $NAME and ${NAME} inside a word, as the shell expands them.
      result.append(SaslauthdDefaults.shellWord(Substring(word), variables: variables))
    }
    // The program itself is not an argument.
    return Array(result.dropFirst())
  }

  static func isNameCharacter(_ character: Character) -> Bool {
    character.isASCII && (character.isLetter || character.isNumber || character == "_")
  }

  /// The unit as systemd would load it, or nil when no unit file exists.
  static func load(_ tree: SystemTree) -> SaslauthdUnit? {
    guard
      let unitFile = searchPath.map({ SystemTree.join($0, name) }).first(where: { path in
        tree.status(path).map { $0.type == .regular } ?? false
      })
    else { return nil }
    var dropIns: [String: String] = [:]
    for directory in searchPath.reversed() {
      let folder = SystemTree.join(directory, name + ".d")
      for entry in tree.list(folder) where entry.hasSuffix(".conf") {
        dropIns[entry] = SystemTree.join(folder, entry)
      }
    }
    let files = [unitFile] + dropIns.keys.sorted().compactMap { dropIns[$0] }
    var settings: [String: [String]] = [:]
    for file in files {
      for (key, value) in serviceAssignments(tree.text(file) ?? "") {
        if value.isEmpty {
          settings[key] = []
        } else if listKeys.contains(key) {
          settings[key, default: []].append(value)
        } else {
          settings[key] = [value]
        }
      }
    }
    let enabled = tree.list(enableDirectory).contains { entry in
      (entry.hasSuffix(".wants") || entry.hasSuffix(".requires"))
        && tree.exists(SystemTree.join(SystemTree.join(enableDirectory, entry), name))
    }
    return SaslauthdUnit(files: files, settings: settings, enabled: enabled)
  }

  /// Settings that add to a list instead of replacing it.
  static let listKeys: Set<String> = [
    "ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop", "ExecStopPost", "EnvironmentFile",
    "Environment", "RuntimeDirectory",
  ]

  /// The `key=value` lines of a unit file's [Service] section, with
  /// continuation lines joined.
  static func serviceAssignments(_ text: String) -> [(String, String)] {
    var result: [(String, String)] = []
    var section = ""
    var pending = ""
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = pending + String(raw)
      pending = ""
      if line.hasSuffix("\\") {
        line.removeLast()
        pending = line + " "
        continue
      }
      let trimmed = line.trimmedBlanks()
      guard let first = trimmed.first, first != "#", first != ";" else { continue }
      if first == "[", trimmed.hasSuffix("]") {
        section = String(trimmed.dropFirst().dropLast())
        continue
      }
      guard section == "Service", let equals = trimmed.firstIndex(of: "=") else { continue }
      result.append(
        (
          String(trimmed[..<equals]).trimmedBlanks(),
          String(trimmed[trimmed.index(after: equals)...]).trimmedBlanks()
        ))
    }
    return result
  }
}
