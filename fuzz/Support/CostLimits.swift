// The fuzz build's CostLimits: the same names as
// Sources/SwiftSQLSchemes/CostLimits.swift, which this file replaces when
// fuzz/run.sh's build compiles SwiftSQLSchemes. The real limits let one
// check take seconds (bcrypt cost 15, Argon2 with 256 MiB); with these, every
// stored value the limits admit is checked in milliseconds, so libFuzzer's
// -timeout finds any path that does work the limits do not bound. The code
// that applies the limits is the module's own. A name missing here fails the
// fuzz build, so the two files cannot drift apart unnoticed.

enum CostLimits {
  static let bcryptCost = 6
  static let shaCryptRounds = 6_000
  static let scryptFamilyBytes = 2 << 20
  static let yescryptTime = 2
  static let scryptParallelism = 2
  static let sunMD5Rounds = 20_000
  static let bsdiRounds = 20_000
  static let argon2MemoryKiB = 1024
  static let argon2Passes = 3
  static let argon2Lanes = 2
  static let pbkdf2Iterations = 6_000
  static let scramMinimumIterations = 4096
  static let otpSequence = 2_000
}
