// Latencies of answered logins, for the status request's percentiles: a
// log-linear histogram (32 buckets per power of two, so a percentile is off
// by at most about 3 %) of microseconds. Fixed size whatever the number of
// logins, so a daemon that has answered a million logins holds no more than
// one that has answered ten.

public struct LatencyHistogram: Sendable {
  static let subBuckets = 32
  static let subBits = 5
  /// Up to 2^40 µs (about 12 days); longer is counted in the last bucket.
  static let bucketCount = subBuckets + (40 - subBits) * subBuckets

  private var counts = [UInt64](repeating: 0, count: bucketCount)
  public private(set) var count: UInt64 = 0
  public private(set) var maximum: UInt64 = 0

  public init() {}

  public mutating func record(microseconds value: UInt64) {
    counts[LatencyHistogram.index(of: value)] += 1
    count += 1
    maximum = max(maximum, value)
  }

  static func index(of value: UInt64) -> Int {
    if value < UInt64(subBuckets) { return Int(value) }
    let exponent = 63 - value.leadingZeroBitCount
    let mantissa = Int(value >> UInt64(exponent - subBits)) - subBuckets
    return min(subBuckets + (exponent - subBits) * subBuckets + mantissa, bucketCount - 1)
  }

  /// The largest value bucket `index` holds.
  static func upperBound(of index: Int) -> UInt64 {
    if index < subBuckets { return UInt64(index) }
    let exponent = (index - subBuckets) / subBuckets + subBits
    let mantissa = UInt64((index - subBuckets) % subBuckets + subBuckets)
    return ((mantissa + 1) << UInt64(exponent - subBits)) - 1
  }

  /// The value below which `fraction` of the logins were answered (0 when
  /// there were none), in microseconds.
  public func percentile(_ fraction: Double) -> UInt64 {
    guard count > 0 else { return 0 }
    let rank = max(1, UInt64((Double(count) * fraction).rounded(.up)))
    var seen: UInt64 = 0
    for (index, bucket) in counts.enumerated() where bucket > 0 {
      seen += bucket
      if seen >= rank { return min(LatencyHistogram.upperBound(of: index), maximum) }
    }
    return maximum
  }
}
