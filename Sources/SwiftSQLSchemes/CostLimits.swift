// The most work a stored value may ask for. A row with a bcrypt cost of 31
// or an Argon2 m= of terabytes must not hang or exhaust the daemon that
// loaded the module: such values are refused as unusable before any hashing
// starts. Each limit is several times what the usual tools write (in
// brackets), and the README lists them.

enum CostLimits {
  /// bcrypt cost, log2 of the rounds (Dovecot 5, PHP 10, ~2 s at 15).
  static let bcryptCost = 15
  /// SHA-256/512-crypt rounds= (5,000 by default).
  static let shaCryptRounds = 1_000_000
  /// yescrypt, gost-yescrypt and scrypt: memory, 128·N·r·p bytes
  /// (yescrypt's default is 16 MiB).
  static let scryptFamilyBytes = 256 << 20
  /// yescrypt's extra time factor t, and its parallelism p.
  static let yescryptTime = 16
  static let scryptParallelism = 16
  /// SunMD5 extra rounds, and BSDi DES rounds.
  static let sunMD5Rounds = 1_000_000
  static let bsdiRounds = 1_000_000
  /// Argon2 memory in KiB (Dovecot writes 65,536 = 64 MiB), passes and lanes.
  static let argon2MemoryKiB = 256 * 1024
  static let argon2Passes = 16
  static let argon2Lanes = 16
  /// PBKDF2 iterations, for Dovecot's PBKDF2, Django and passlib (Django 5.2
  /// writes 1,000,000) and SCRAM (4,096).
  static let pbkdf2Iterations = 2_000_000
  /// SCRAM's lower bound, as Dovecot enforces it.
  static let scramMinimumIterations = 4096
  /// OTP sequence number (Dovecot writes 1,024).
  static let otpSequence = 100_000
}
