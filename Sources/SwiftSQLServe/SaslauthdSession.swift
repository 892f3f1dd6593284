// One saslauthd connection, as the server reads it: bytes arrive in pieces,
// the request is complete after four counted fields (cyrus-sasl 2.1.28) or
// five (its development branch adds the client address). A client never
// half-closes, so four complete fields do not tell whether a fifth follows.
// Every libsasl2 client writes its whole request at once (checkpw.c fills
// one buffer, then one writev), and a small write to a unix socket arrives
// as one piece: four fields read in one piece are the whole request and are
// answered at once. Four fields that came in several pieces may still be
// followed by the fifth, so the server waits a short time for it (the
// daemon's --address-wait) before it answers without one.
//
// Pure: the event loop feeds it bytes and acts on the step it returns. The
// buffer holds the password; `wipe` overwrites it.

import SaslauthdClient
import SwiftSQLCore

public struct SaslauthdSession {
  /// The most bytes a field may have: saslauthd's MAX_REQ_LEN.
  public static let fieldLimit = SaslauthdRequest.saslauthdFieldLimit
  /// The most bytes a request can have (five fields at the limit).
  public static let maximumBytes = 5 * (2 + fieldLimit)

  private var buffer: [UInt8] = []
  private var pieces = 0

  public init() {}

  public enum Step: Equatable {
    /// A field is not complete: read on.
    case needMore
    /// The request: answer it.
    case request(SaslauthdRequest)
    /// Four fields, which came in several pieces: a fifth may follow. Wait
    /// briefly, reading on, then take `requestWithoutAddress()`.
    case mayHaveAddress
    /// A field is longer than saslauthd accepts: send these bytes (a bare
    /// "NO", as saslauthd sends) and close. `field` names it for the log.
    case refuse(reply: [UInt8], field: String)
  }

  /// Takes the next piece the client sent.
  public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Step {
    pieces += 1
    // Bytes after the longest request are never needed: one request per
    // connection, and saslauthd ignores what follows it.
    let room = SaslauthdSession.maximumBytes - buffer.count
    if room > 0 { buffer.append(contentsOf: bytes.prefix(room)) }
    switch SaslauthdRequest.decode(buffer, fieldLimit: SaslauthdSession.fieldLimit) {
    case .incomplete: return .needMore
    case .fieldTooLong(let field):
      return .refuse(reply: SaslauthdReply.encode(ok: false, text: ""), field: field)
    case .fiveFields(let request): return .request(request)
    case .fourFields(let request): return pieces == 1 ? .request(request) : .mayHaveAddress
    }
  }

  /// The four-field request, once the wait for a fifth field is over; nil
  /// if the bytes read since are not a complete request.
  public func requestWithoutAddress() -> SaslauthdRequest? {
    switch SaslauthdRequest.decode(buffer, fieldLimit: SaslauthdSession.fieldLimit) {
    case .fourFields(let request), .fiveFields(let request): request
    case .incomplete, .fieldTooLong: nil
    }
  }

  /// Overwrites what was read (it holds the password).
  public mutating func wipe() {
    buffer.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
    buffer = []
  }
}
