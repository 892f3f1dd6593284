// Covers ConfigurationLoader, the one path from module arguments to a
// configuration that the module, the daemon and the doctor share: what it
// reads (the plan's file, through the reader it is given), and how each way
// a file can be unusable comes back (the reader's own failure, not UTF-8,
// refused by resolve), over files held in memory.

import SwiftSQLCore
import Testing

/// Files held in memory; `unreadable` paths exist but fail to read.
struct MemoryFiles: ConfigurationFiles {
  struct Failure: Error, Equatable { let message: String }

  var texts: [String: String] = [:]
  var bytes: [String: [UInt8]] = [:]
  var unreadable: Set<String> = []
  /// The paths read, in order.
  var reads: [String] = []

  func exists(_ path: String) -> Bool { texts[path] != nil || bytes[path] != nil || unreadable.contains(path) }

  mutating func contents(of path: String) throws(Failure) -> [UInt8]? {
    reads.append(path)
    if unreadable.contains(path) { throw Failure(message: "cannot read \(path): Permission denied") }
    return bytes[path] ?? texts[path].map { Array($0.utf8) }
  }
}

private let loader = ConfigurationLoader(isKnownScheme: { $0 == "SHA512-CRYPT" }, canGenerateScheme: { _ in false })

private func text(scheme: String) -> String {
  """
  driver = sqlite
  connect = /var/lib/mail/users.db
  password_query = SELECT password FROM users WHERE email = '%u'
  default_pass_scheme = \(scheme)
  """
}

private let valid = text(scheme: "SHA512-CRYPT")

@Suite("The configuration loader")
struct ConfigurationLoaderTests {
  @Test("reads the file the arguments name, once, and resolves it")
  func readsNamedFile() throws {
    var files = MemoryFiles(texts: ["/etc/mail/auth.conf": valid])
    let arguments = ["config=/etc/mail/auth.conf"]
    let plan = loader.plan(arguments: arguments, files: files)
    let configuration = try loader.load(plan: plan, arguments: arguments, files: &files)
    #expect(files.reads == ["/etc/mail/auth.conf"])
    #expect(configuration.settings.driver == .sqlite)
    #expect(configuration.settings.defaultPassScheme == "SHA512-CRYPT")
  }

  @Test("an unreadable file comes back as the reader's own failure")
  func unreadable() {
    var files = MemoryFiles(unreadable: ["/etc/pam_swiftsql.conf"])
    let plan = loader.plan(arguments: [], files: files)
    #expect(plan.file == "/etc/pam_swiftsql.conf")
    do {
      _ = try loader.load(plan: plan, arguments: [], files: &files)
      Issue.record("an unreadable file made a configuration")
    } catch {
      guard case .unreadable(let failure) = error else {
        Issue.record("expected .unreadable, got \(error)")
        return
      }
      #expect(failure == MemoryFiles.Failure(message: "cannot read /etc/pam_swiftsql.conf: Permission denied"))
    }
  }

  @Test("a file that is not UTF-8 is invalid, and the message names it")
  func notUTF8() {
    var files = MemoryFiles(bytes: ["/etc/pam_swiftsql.conf": Array("driver = sqlite\n".utf8) + [0xFF, 0xFE]])
    let plan = loader.plan(arguments: [], files: files)
    do {
      _ = try loader.fileText(of: plan, files: &files)
      Issue.record("bytes that are not UTF-8 were taken as text")
    } catch {
      guard case .invalid(let invalid) = error else {
        Issue.record("expected .invalid, got \(error)")
        return
      }
      #expect(invalid.message == "/etc/pam_swiftsql.conf is not valid UTF-8")
    }
  }

  @Test("no file and no settings in the arguments is refused by resolve, not a read failure")
  func missingFile() {
    var files = MemoryFiles()
    let plan = loader.plan(arguments: [], files: files)
    #expect((try? loader.fileText(of: plan, files: &files)) == .some(nil))
    do {
      _ = try loader.load(plan: plan, arguments: [], files: &files)
      Issue.record("a configuration was made from nothing")
    } catch {
      guard case .invalid = error else {
        Issue.record("expected .invalid, got \(error)")
        return
      }
    }
  }

  @Test("a scheme the loader's registry does not know is refused")
  func unknownScheme() {
    var files = MemoryFiles(texts: ["/etc/pam_swiftsql.conf": text(scheme: "NOSUCH")])
    let plan = loader.plan(arguments: [], files: files)
    do {
      _ = try loader.load(plan: plan, arguments: [], files: &files)
      Issue.record("a scheme nobody knows was taken")
    } catch {
      guard case .invalid(let invalid) = error else {
        Issue.record("expected .invalid, got \(error)")
        return
      }
      #expect(invalid.message.contains("NOSUCH"))
    }
  }
}
