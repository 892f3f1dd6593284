// Path helpers for the doctor's tests: the parent of a path, and a system
// path with a tree's prefix removed (what a process list inside the tree
// should say).

enum SystemPath {
  static func parent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
    return String(path[..<slash])
  }

  /// `path` without `root` in front, when it starts with it.
  static func inside(_ root: String, _ path: String) -> String {
    path.hasPrefix(root + "/") ? String(path.dropFirst(root.count)) : path
  }
}
