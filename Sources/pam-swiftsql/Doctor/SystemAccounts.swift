// Users and groups as /etc/passwd and /etc/group list them (read from the
// tree, so `--root` works and the answer does not depend on NSS). Parsing
// is a pure function of the files' text: `name:x:uid:gid:…` and
// `name:x:gid:member,member`.

struct SystemAccounts {
  struct User: Equatable {
    let name: String
    let uid: UInt32
    let gid: UInt32
  }

  struct Group: Equatable {
    let name: String
    let gid: UInt32
    let members: [String]
    /// The line as written, for evidence.
    let line: String
  }

  let users: [User]
  let groups: [Group]

  init(passwd: String, group: String) {
    users = SystemAccounts.lines(passwd).compactMap { fields, _ in
      guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { return nil }
      return User(name: fields[0], uid: uid, gid: gid)
    }
    groups = SystemAccounts.lines(group).compactMap { fields, line in
      guard fields.count >= 3, let gid = UInt32(fields[2]) else { return nil }
      let members =
        fields.count > 3 ? fields[3].split(separator: ",").map { String($0).trimmedBlanks() } : []
      return Group(name: fields[0], gid: gid, members: members.filter { !$0.isEmpty }, line: line)
    }
  }

  /// The non-comment lines split at ':'.
  private static func lines(_ text: String) -> [(fields: [String], line: String)] {
    text.split(separator: "\n").compactMap { raw in
      let line = String(raw).trimmedBlanks()
      if line.isEmpty || line.hasPrefix("#") { return nil }
      return (line.split(separator: ":", omittingEmptySubsequences: false).map(String.init), line)
    }
  }

  func user(_ name: String) -> User? { users.first { $0.name == name } }
  func group(_ name: String) -> Group? { groups.first { $0.name == name } }
  func group(id: UInt32) -> Group? { groups.first { $0.gid == id } }
  func user(id: UInt32) -> User? { users.first { $0.uid == id } }

  /// The user's primary group and every group that lists it.
  func principal(for user: User) -> Principal {
    var ids: Set<UInt32> = [user.gid]
    for group in groups where group.members.contains(user.name) { ids.insert(group.gid) }
    return Principal(name: user.name, uid: user.uid, groups: ids)
  }

  /// Whether `user` is in `group` (as a listed member, or as its primary group).
  func isMember(_ user: User, of group: Group) -> Bool {
    user.gid == group.gid || group.members.contains(user.name)
  }

  /// "root:sasl" for an owner and a group, names where known.
  func ownership(_ status: DoctorSystem.Status) -> String {
    let owner = user(id: status.owner)?.name ?? String(status.owner)
    let group = group(id: status.group)?.name ?? String(status.group)
    return "\(owner):\(group)"
  }
}
