// Dovecot's auth-client protocol as Postfix's xsasl_dovecot_server.c
// speaks it: the handshake (MECH before SPID), PLAIN with and without an
// initial response, LOGIN's two prompts, the FAIL codes, and what closes a
// connection (as Dovecot closes it). Expected lines are written out by
// hand from the protocol, never produced by the code under test.

import SwiftSQLCore
import SwiftSQLServe
import Testing

private func base64(_ text: String) -> String {
  let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  let bytes = Array(text.utf8)
  var result: [UInt8] = []
  var index = 0
  while index < bytes.count {
    let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
    let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
    for position in 0..<4 {
      result.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
    }
    index += 3
  }
  return String(decoding: result, as: UTF8.self)
}

/// What the events of one receive were, as text: "send:<line>",
/// "verify:<id>:<login>:<password>:<service>:<rip>:<lip>:<secured>", "close".
private func feed(_ session: inout DovecotSession, _ text: String) -> [String] {
  Array(text.utf8).withUnsafeBytes { session.receive($0) }.map { event in
    switch event {
    case .send(let bytes): "send:" + String(decoding: bytes, as: UTF8.self)
    case .verify(let credentials):
      "verify:\(credentials.id):\(String(decoding: credentials.login, as: UTF8.self)):"
        + credentials.password.withBytes { String(decoding: $0, as: UTF8.self) }
        + ":\(credentials.service):\(credentials.remoteIP):\(credentials.localIP):\(credentials.secured)"
    case .close: "close"
    }
  }
}

private func ready() -> DovecotSession {
  var session = DovecotSession()
  _ = feed(&session, "VERSION\t1\t0\nCPID\t4242\n")
  return session
}

@Suite("Dovecot auth-client protocol")
struct DovecotSessionTests {
  @Test("the handshake: VERSION, every MECH, then SPID, CUID, COOKIE, DONE")
  func handshake() {
    let bytes = DovecotSession.handshake(
      processID: 77, connectionID: 3, cookie: [0x00, 0x01, 0xAB, 0xFF] + [UInt8](repeating: 0x10, count: 12))
    #expect(
      String(decoding: bytes, as: UTF8.self)
        == "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nSPID\t77\nCUID\t3\n"
        + "COOKIE\t0001abff101010101010101010101010\nDONE\n")
  }

  @Test("Postfix's request: AUTH PLAIN with an initial response")
  func plainInitial() {
    var session = DovecotSession()
    #expect(feed(&session, "VERSION\t1\t0\nCPID\t4242\n").isEmpty)
    #expect(session.handshakeDone)
    #expect(session.clientProcessID == "4242")
    let response = base64("\u{0}alice@example.org\u{0}pass word")
    #expect(
      feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.9\tsecured\tresp=\(response)\n")
        == ["verify:1:alice@example.org:pass word:smtp:192.0.2.9:127.0.0.1:true"])
    #expect(
      session.answer(1, .ok(user: "alice@example.org")).map { String(decoding: $0, as: UTF8.self) }
        == "OK\t1\tuser=alice@example.org\n")
    // The connection is reused for the next login.
    #expect(
      feed(&session, "AUTH\t2\tPLAIN\tservice=smtp\tnologin\tresp=\(base64("\u{0}bob@example.org\u{0}x"))\n")
        == ["verify:2:bob@example.org:x:smtp:::false"])
    #expect(
      session.answer(2, .fail(user: Array("bob@example.org".utf8), code: nil, reason: nil)).map {
        String(decoding: $0, as: UTF8.self)
      } == "FAIL\t2\tuser=bob@example.org\n")
    #expect(session.isIdle)
  }

  @Test("PLAIN without an initial response: an empty challenge, then CONT")
  func plainContinued() {
    var session = ready()
    #expect(feed(&session, "AUTH\t7\tPLAIN\tservice=imap\n") == ["send:CONT\t7\t\n"])
    #expect(session.waitsForClient)
    #expect(
      feed(&session, "CONT\t7\t\(base64("alice@example.org\u{0}alice@example.org\u{0}pw"))\n") == [
        "verify:7:alice@example.org:pw:imap:::false"
      ])
    #expect(!session.waitsForClient)
  }

  @Test("an empty resp= from a 1.0 client means no initial response; = means an empty one")
  func emptyResponse() {
    var session = ready()
    #expect(feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tresp=\n") == ["send:CONT\t1\t\n"])
    #expect(feed(&session, "AUTH\t2\tPLAIN\tservice=smtp\tresp==\n") == ["send:FAIL\t2\n"])
  }

  @Test("LOGIN: Username: then Password:")
  func login() {
    var session = ready()
    #expect(feed(&session, "AUTH\t3\tLOGIN\tservice=smtp\n") == ["send:CONT\t3\tVXNlcm5hbWU6\n"])
    #expect(feed(&session, "CONT\t3\t\(base64("carol@example.org"))\n") == ["send:CONT\t3\tUGFzc3dvcmQ6\n"])
    #expect(feed(&session, "CONT\t3\t\(base64("s3cret"))\n") == ["verify:3:carol@example.org:s3cret:smtp:::false"])
  }

  @Test("LOGIN with the user name as initial response asks only for the password")
  func loginInitial() {
    var session = ready()
    #expect(
      feed(&session, "AUTH\t3\tlogin\tservice=smtp\tresp=\(base64("carol"))\n") == ["send:CONT\t3\tUGFzc3dvcmQ6\n"])
  }

  @Test("PLAIN that is not two NULs, or with another authzid, fails; the connection stays")
  func plainRefused() {
    var session = ready()
    #expect(feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tresp=\(base64("alice\u{0}pw"))\n") == ["send:FAIL\t1\n"])
    #expect(
      feed(&session, "AUTH\t2\tPLAIN\tservice=smtp\tresp=\(base64("a\u{0}b\u{0}c\u{0}d"))\n") == ["send:FAIL\t2\n"])
    #expect(
      feed(&session, "AUTH\t3\tPLAIN\tservice=smtp\tresp=\(base64("admin\u{0}alice\u{0}pw"))\n")
        == ["send:FAIL\t3\tuser=alice\tcode=authz_fail\n"])
    #expect(feed(&session, "AUTH\t4\tPLAIN\tservice=smtp\tresp=\(base64("\u{0}\u{0}pw"))\n") == ["send:FAIL\t4\n"])
    #expect(session.isIdle)
  }

  @Test("bad base64, an unknown mechanism, a CONT nobody asked for: FAIL lines")
  func failures() {
    var session = ready()
    #expect(
      feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tresp=@@@@\n")
        == ["send:FAIL\t1\tcode=invalid_base64\treason=Invalid base64 data in initial response\n"])
    #expect(
      feed(&session, "AUTH\t2\tCRAM-MD5\tservice=smtp\n")
        == ["send:FAIL\t2\treason=Unsupported authentication mechanism\n"])
    #expect(feed(&session, "CONT\t9\tAAAA\n") == ["send:FAIL\t9\treason=Authentication request timed out\n"])
    #expect(feed(&session, "AUTH\t3\tLOGIN\tservice=smtp\n") == ["send:CONT\t3\tVXNlcm5hbWU6\n"])
    #expect(
      feed(&session, "CONT\t3\t!!\n")
        == ["send:FAIL\t3\tcode=invalid_base64\treason=Invalid base64 data in continued response\n"])
  }

  @Test("FAIL codes and reasons are tab-escaped")
  func failLine() {
    #expect(
      String(
        decoding: DovecotSession.line(
          5, .fail(user: Array("a\tb".utf8), code: "temp_fail", reason: "Temporary authentication failure")),
        as: UTF8.self)
        == "FAIL\t5\tuser=a\u{1}tb\tcode=temp_fail\treason=Temporary authentication failure\n")
  }

  @Test("tab escaping both ways, as Dovecot's str_tabescape")
  func escaping() {
    #expect(
      DovecotSession.escaped([0x61, 0x01, 0x09, 0x0D, 0x0A]) == [0x61, 0x01, 0x31, 0x01, 0x74, 0x01, 0x72, 0x01, 0x6E])
    #expect(
      DovecotSession.unescaped([0x61, 0x01, 0x31, 0x01, 0x74, 0x01, 0x72, 0x01, 0x6E][...]) == [
        0x61, 0x01, 0x09, 0x0D, 0x0A,
      ])
  }

  @Test("lines split across reads, and CRLF, are read whole")
  func pieces() {
    var session = DovecotSession()
    #expect(feed(&session, "VERS").isEmpty)
    #expect(session.hasPartialLine)
    #expect(feed(&session, "ION\t1\t1\r\nCP").isEmpty)
    #expect(feed(&session, "ID\t1\n").isEmpty)
    #expect(session.handshakeDone)
    #expect(!session.hasPartialLine)
  }

  @Test(
    "protocol errors close the connection",
    arguments: [
      "AUTH\t1\tPLAIN\tservice=smtp\n",  // no VERSION first
      "VERSION\t2\t0\n",  // another major version
      "VERSION\t1\t0\nAUTH\t1\tPLAIN\tservice=smtp\n",  // no CPID
      "VERSION\t1\t0\nCPID\tx\n",  // a CPID that is not a number
      "VERSION\t1\t0\nCPID\t1\nHELLO\n",  // unknown command
      "VERSION\t1\t0\nCPID\t1\nAUTH\t0\tPLAIN\tservice=smtp\n",  // id 0
      "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\n",  // no service
      "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\tresp=AA\tsecured\n",  // resp not last
      "VERSION\t1\t0\nCPID\t1\nAUTH\t1\tPLAIN\tservice=smtp\nAUTH\t1\tPLAIN\tservice=smtp\n",  // duplicate id
      "VERSION\t1\t0\nCPID\t1\nAUTH\t99999999999\tPLAIN\tservice=smtp\n",  // id over 32 bits
    ])
  func protocolErrors(text: String) {
    var session = DovecotSession()
    #expect(feed(&session, text).last == "close")
  }

  @Test("a line over 16 KB closes the connection, whole or in pieces")
  func longLine() {
    var session = ready()
    #expect(feed(&session, String(repeating: "A", count: 16385)) == ["close"])
    var other = ready()
    #expect(
      feed(&other, "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + String(repeating: "A", count: 16384) + "\n") == ["close"])
  }

  @Test("more than 64 logins open at once close the connection")
  func tooManyOpen() {
    var session = ready()
    for id in 1...64 { #expect(feed(&session, "AUTH\t\(id)\tLOGIN\tservice=smtp\n").count == 1) }
    #expect(feed(&session, "AUTH\t65\tLOGIN\tservice=smtp\n") == ["close"])
  }

  @Test("CANCEL drops a login, even one being checked")
  func cancel() {
    var session = ready()
    #expect(feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tresp=\(base64("\u{0}a@b.c\u{0}pw"))\n").count == 1)
    #expect(feed(&session, "CANCEL\t1\n").isEmpty)
    #expect(session.answer(1, .ok(user: "a@b.c")) == nil)
    #expect(session.answer(2, .ok(user: "a@b.c")) == nil)
    #expect(feed(&session, "AUTH\t2\tLOGIN\tservice=smtp\n").count == 1)
    #expect(feed(&session, "CANCEL\t2\n").isEmpty)
    #expect(session.isIdle)
  }

  // The fuzzer's oracle once looked for the text "CANCEL\t1" and missed
  // this (fuzz/regressions/serve-dovecot/cancel-id-leading-zero). Dovecot
  // reads the id with str_to_uint, which takes leading zeros; so do we.
  @Test("ids are decimal numbers, leading zeros allowed; CANCEL 01 is login 1")
  func cancelIdAsNumber() {
    var session = ready()
    #expect(feed(&session, "AUTH\t1\tPLAIN\tservice=smtp\tresp=\(base64("\u{0}a@b.c\u{0}pw"))\n").count == 1)
    #expect(feed(&session, "CANCEL\t01\n").isEmpty)
    #expect(session.answer(1, .ok(user: "a@b.c")) == nil)
    #expect(feed(&session, "AUTH\t2\tPLAIN\tservice=smtp\tresp=\(base64("\u{0}a@b.c\u{0}pw"))\n").count == 1)
    // Tab-escaped as every field: a lone \001 at the end is dropped.
    #expect(feed(&session, "CANCEL\t2\u{1}\n").isEmpty)
    #expect(session.answer(2, .ok(user: "a@b.c")) == nil)
    #expect(session.isIdle)
    // Any number of leading zeros; the largest id is 4294967295.
    #expect(feed(&session, "AUTH\t000000000003\tLOGIN\tservice=smtp\n") == ["send:CONT\t3\tVXNlcm5hbWU6\n"])
    #expect(feed(&session, "CANCEL\t3\n").isEmpty)
    #expect(feed(&session, "AUTH\t4294967295\tLOGIN\tservice=smtp\n") == ["send:CONT\t4294967295\tVXNlcm5hbWU6\n"])
    #expect(feed(&session, "AUTH\t4294967296\tLOGIN\tservice=smtp\n") == ["close"])
  }

  @Test(
    "a CANCEL without a number closes the connection, as Dovecot does",
    arguments: ["CANCEL\n", "CANCEL\t\n", "CANCEL\t2x\n", "CANCEL\t4294967296\n"])
  func brokenCancel(line: String) {
    var session = ready()
    #expect(feed(&session, "AUTH\t2\tLOGIN\tservice=smtp\n").count == 1)
    #expect(feed(&session, line) == ["close"])
  }

  @Test("a password with a NUL (LOGIN) is refused, never cut")
  func nulInPassword() {
    var session = ready()
    _ = feed(&session, "AUTH\t3\tLOGIN\tservice=smtp\tresp=\(base64("carol"))\n")
    #expect(feed(&session, "CONT\t3\t\(base64("ab\u{0}cd"))\n") == ["send:FAIL\t3\tuser=carol\n"])
  }
}
