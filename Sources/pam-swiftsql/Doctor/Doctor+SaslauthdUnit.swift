// The doctor's check of how saslauthd is started at boot. Debian 12 starts
// it from its init script, which reads START and creates the -m directory
// (with the permissions of a dpkg-statoverride). Debian 13 starts it from
// saslauthd.service, which makes only /run/saslauthd (RuntimeDirectory) and
// waits for PIDFile=/run/saslauthd/saslauthd.pid; saslauthd writes its pid
// file into its -m directory, so with the socket in Postfix's chroot
// `systemctl start saslauthd` waits 90 seconds and stops the daemon, and
// nothing makes the directory (systemd's Type=forking: without the pid file
// it waits until TimeoutStartSec). A drop-in sets PIDFile and makes the
// directory; the package's example of it is named in the fix.

extension Doctor {
  /// Where the package keeps the drop-in example, and where it goes.
  static let dropInExample = "/usr/share/doc/libpam-swiftsql/examples/saslauthd-postfix-chroot.service.conf"
  static let dropInPath = "/etc/systemd/system/saslauthd.service.d/postfix-chroot.conf"

  /// The options saslauthd gets at its next start.
  var nextStartOptions: SaslauthdOptions {
    if let defaultsFile { return startOptions(defaultsFile) }
    return SaslauthdOptions.parse(unit?.arguments(variables: [:]) ?? [])
  }

  /// A run directory as systemd compares it (/var/run is /run).
  static func runPath(_ path: String) -> String {
    let normalized = SystemTree.normalized(path)
    return normalized.hasPrefix("/var/run/") || normalized == "/var/run"
      ? String(normalized.dropFirst("/var".count)) : normalized
  }

  /// What to install so that saslauthd.service starts with -m `directory`.
  func dropInFix(_ directory: String) -> String {
    "install \(Doctor.dropInExample) as \(Doctor.dropInPath) (it sets PIDFile=\(directory)/saslauthd.pid and "
      + "ExecStartPre=/usr/bin/install -d -o root -g sasl -m 0710 \(directory)), then: systemctl daemon-reload; "
      + Doctor.restartSaslauthd
  }

  func checkUnit() -> [DoctorCheck] {
    let name = "saslauthd-unit"
    guard let unit else {
      return [
        .ok(
          name,
          "there is no \(SaslauthdUnit.name): \(starter) starts saslauthd as \(defaultsPath) says (START, OPTIONS), "
            + "and creates the -m directory")
      ]
    }
    let options = nextStartOptions
    let directory = Doctor.runPath(options.runPath ?? SaslauthdOptions.defaultRunPath)
    let written = SystemTree.join(directory, "saslauthd.pid")
    var problems: [String] = []
    if let pidFile = unit.pidFile, Doctor.runPath(pidFile) != written {
      problems.append(
        "it waits for PIDFile=\(unit.value("PIDFile") ?? pidFile), but with -m \(options.runPath ?? directory) saslauthd writes \(written): "
          + "systemctl start saslauthd waits 90 s for the file, then stops saslauthd")
    }
    let madeBySystemd = unit.runtimeDirectories.contains(directory)
    let madeBefore = unit.commands("ExecStartPre").contains { command in
      command.words.contains { Doctor.runPath($0) == directory }
    }
    if !madeBySystemd && !madeBefore {
      if SystemTree.isInside(directory, "/run") {
        problems.append("nothing makes \(directory) when the machine starts (/run is a tmpfs)")
      } else if !tree.exists(directory) {
        problems.append("\(directory) does not exist, and neither RuntimeDirectory nor ExecStartPre makes it")
      }
    }
    if !problems.isEmpty {
      return [
        .failure(
          name, "\(starter): " + problems.joined(separator: "; "), fix: dropInFix(directory))
      ]
    }
    let maker =
      madeBySystemd ? "RuntimeDirectory makes it" : (madeBefore ? "ExecStartPre makes it" : "it exists on disk")
    return [
      .ok(
        name,
        "\(starter): -m \(directory) (\(maker)), PIDFile=\(unit.pidFile ?? "(none)") is saslauthd's own; "
          + (unit.enabled ? "enabled" : "not enabled"))
    ]
  }
}
