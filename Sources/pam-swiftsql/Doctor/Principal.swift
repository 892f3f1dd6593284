// A user as the kernel sees it when it checks a file's permission bits: a
// uid and a set of group ids. Root may read and search anything; everyone
// else gets the owner's, the group's or the others' bits, in that order (the
// first class that matches decides, as in the kernel). ACLs are not read.

struct Principal: Equatable {
  let name: String
  let uid: UInt32
  let groups: Set<UInt32>

  static let root = Principal(name: "root", uid: 0, groups: [0])

  var isRoot: Bool { uid == 0 }

  /// The three bits (r=4, w=2, x=1) that apply to this principal.
  func bits(of status: DoctorSystem.Status) -> UInt32 {
    if uid == status.owner { return (status.mode >> 6) & 7 }
    if groups.contains(status.group) { return (status.mode >> 3) & 7 }
    return status.mode & 7
  }

  func canRead(_ status: DoctorSystem.Status) -> Bool {
    isRoot || bits(of: status) & 4 != 0
  }

  func canWrite(_ status: DoctorSystem.Status) -> Bool {
    isRoot || bits(of: status) & 2 != 0
  }

  /// May enter a directory (x).
  func canSearch(_ status: DoctorSystem.Status) -> Bool {
    isRoot || bits(of: status) & 1 != 0
  }

  /// "uid 107, groups 113,45".
  var description: String {
    "\(name) (uid \(uid), groups \(groups.sorted().map(String.init).joined(separator: ",")))"
  }
}
