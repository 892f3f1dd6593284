// What fuzz/Targets/saslauthd.swift found (README "Fuzzing and
// sanitizers"), kept as the smallest case that failed before its fix: the
// reply's OK was read by Swift Character while decode checks bytes, and "OK"
// followed by a combining mark has no Character prefix "OK". The failing input is in fuzz/regressions.

import SaslauthdClient
import Testing

@Suite("Fuzz findings: saslauthd replies")
struct FuzzSaslauthdFindingsTests {
  @Test("an OK reply is OK whatever follows the K, and its reason is the rest")
  func okBeforeCombiningMark() {
    let body = Array("OK\u{6EC} fine".utf8)
    guard case .complete(let reply) = SaslauthdReply.decode([0, UInt8(body.count)] + body) else {
      Issue.record("the reply did not decode")
      return
    }
    #expect(reply.isOK)
    #expect(Array(reply.reason.utf8) == Array("\u{6EC} fine".utf8))
  }

  @Test("a NO reply with a combining mark after the O is not OK")
  func noBeforeCombiningMark() {
    let body = Array("NO\u{301}".utf8)
    guard case .complete(let reply) = SaslauthdReply.decode([0, UInt8(body.count)] + body) else {
      Issue.record("the reply did not decode")
      return
    }
    #expect(!reply.isOK)
  }
}
