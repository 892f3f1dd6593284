// What an unknown login is checked against, so that it costs what a wrong
// password costs (DESIGN.md §4: the same timing). A decoy is a stored value
// with the scheme and the cost parameters of rows the module has verified,
// whose salt and hash are filler: it holds nothing of any row. The shape of
// the rows is learned from the rows themselves, because the configured
// default scheme says nothing about them (a table of MD5-crypt rows under
// `default_pass_scheme = CRYPT` would otherwise answer unknown logins with a
// yescrypt decoy, twenty times slower than a wrong password).
//
// `DecoyPool` remembers the shapes verified lately and how often each was
// seen, and hands them out in the same proportion, so that over a table that
// mixes schemes the unknown logins cost what its wrong passwords cost. Old
// counts fade, so the pool follows a table whose rows move to a stronger
// scheme. Before any row has been verified, the owner falls back to a decoy
// in the configured scheme.

/// A stored value to check a password against, of a known shape.
public struct Decoy {
  /// A stored value whose salt and hash are filler.
  public let value: SecretBytes
  /// The scheme and its cost, e.g. `SHA512-CRYPT, 5000 rounds`: it tells
  /// shapes apart and names the decoy in debug lines. Never a salt or hash.
  public let shape: String

  public init(value: SecretBytes, shape: String) {
    self.value = value
    self.shape = shape
  }
}

/// Makes decoys: implemented by the scheme registry, which knows where each
/// scheme keeps its cost, its salt and its hash.
public protocol DecoyMaker {
  /// A decoy of the same scheme and cost as `stored`, or nil when the scheme
  /// cannot make one.
  func decoy(like stored: SecretBytes, format: HashFormat) -> Decoy?

  /// A decoy in `scheme` at the cost new values get, made without hashing
  /// where the scheme allows; nil when the module cannot make one.
  func decoy(scheme: String) -> Decoy?
}

/// The shapes of the rows verified lately, handed out in proportion.
public struct DecoyPool {
  /// At most this many shapes are kept; a new one replaces the least seen.
  public static let capacity = 8
  /// Counts are halved once this many verifications have been counted, so
  /// shapes that stopped coming fade out.
  static let horizon = 1024

  struct Entry {
    var decoy: Decoy
    /// How many verified rows had this shape.
    var verified: Int
    /// How many times it was handed out.
    var used: Int
  }

  var entries: [Entry] = []

  public init() {}

  /// Whether any row has been learned.
  public var isEmpty: Bool { entries.isEmpty }

  /// The shapes known, most seen first (for the doctor and for tests).
  public var shapes: [String] {
    entries.sorted { $0.verified > $1.verified }.map { $0.decoy.shape }
  }

  /// Counts a verified row of `decoy`'s shape.
  public mutating func learn(_ decoy: Decoy) {
    if let index = entries.firstIndex(where: { $0.decoy.shape == decoy.shape }) {
      entries[index].verified += 1
    } else {
      let entry = Entry(decoy: decoy, verified: 1, used: 0)
      if entries.count < DecoyPool.capacity {
        entries.append(entry)
      } else if let weakest = entries.indices.min(by: { entries[$0].verified < entries[$1].verified }) {
        entries[weakest] = entry
      }
    }
    if entries.reduce(0, { $0 + $1.verified }) >= DecoyPool.horizon {
      for index in entries.indices {
        entries[index].verified = (entries[index].verified + 1) / 2
        entries[index].used /= 2
      }
    }
  }

  /// The next decoy: the shape whose share of hand-outs lags its share of
  /// verified rows the most. nil before any row was learned.
  public mutating func next() -> Decoy? {
    let verifiedTotal = entries.reduce(0) { $0 + $1.verified }
    let usedTotal = entries.reduce(0) { $0 + $1.used }
    // used/usedTotal < verified/verifiedTotal, compared without division.
    guard
      let index = entries.indices.max(by: { a, b in
        owed(entries[a], verifiedTotal, usedTotal) < owed(entries[b], verifiedTotal, usedTotal)
      })
    else { return nil }
    entries[index].used += 1
    return entries[index].decoy
  }

  private func owed(_ entry: Entry, _ verifiedTotal: Int, _ usedTotal: Int) -> Int {
    entry.verified &* (usedTotal + 1) &- entry.used &* verifiedTotal
  }
}
