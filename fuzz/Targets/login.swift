// Login.parse (and Login.validateDomain through the default_domain setter)
// over arbitrary PAM_USER bytes.
//
// Input: one flag byte (bit 0: a default_domain is configured, taken from
// the input up to the first NUL; bit 1: allow_bare_logins), then the login.
//
// Invariants: parsing never traps; a login it accepts keeps RFC 5321's
// limits, holds no control character, has a lower-cased domain, is split at
// the last '@' byte exactly as libsasl2 splits it (user before, realm
// after), gets the default domain only when it has no '@', and parses back
// to itself from its `full` form; a default domain the setter accepts holds
// no '@' byte, no space and no control character; each refusal names a
// reason.

import SwiftSQLCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogin(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  var defaultDomain: String? = nil
  if flags & 1 != 0 {
    var settings = Settings()
    let candidate = text(input.segment(until: 0))
    if (try? settings.set("default_domain", to: candidate)) != nil, let domain = settings.defaultDomain {
      let bytes = Array(domain.utf8)
      invariant(!bytes.contains(UInt8(ascii: "@")), "default_domain \(shown(domain)) contains '@'")
      invariant(!bytes.contains(UInt8(ascii: " ")), "default_domain \(shown(domain)) contains a space")
      invariant(
        !domain.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
        "default_domain \(shown(domain)) contains a control character")
      invariant(domain == domain.lowercased(), "default_domain \(shown(domain)) is not lower-cased")
      defaultDomain = domain
    }
  }
  let keepsBare = flags & 2 != 0
  let raw = input.rest()

  let login: Login
  do {
    login = try Login.parse(raw, defaultDomain: defaultDomain, keepsBareLogin: keepsBare)
  } catch {
    invariant(!error.reason.isEmpty, "a refusal without a reason")
    if raw.isEmpty { invariant(error == .empty, "empty login refused as \(error)") }
    return 0
  }

  let full = Array(login.full.utf8)
  let local = Array(login.localPart.utf8)
  let domain = Array(login.domain.utf8)
  invariant(!raw.isEmpty, "an empty login was accepted")
  invariant(!local.isEmpty, "accepted with an empty local part: \(shown(raw))")
  invariant(full.count <= Login.maximumBytes, "full login of \(full.count) bytes")
  invariant(local.count <= Login.maximumLocalPartBytes, "local part of \(local.count) bytes")
  invariant(domain.count <= Login.maximumDomainBytes, "domain of \(domain.count) bytes")
  invariant(
    !login.full.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
    "control character kept in \(shown(full))")
  invariant(login.domain == login.domain.lowercased(), "domain \(shown(domain)) is not lower-cased")
  invariant(String(validating: raw, as: UTF8.self) != nil, "invalid UTF-8 accepted: \(shown(raw))")

  // The split libsasl2 makes: at the last '@' byte.
  if let at = raw.lastIndex(of: UInt8(ascii: "@")) {
    invariant(
      local == Array(raw[..<at]),
      "local part \(shown(local)) is not the bytes before the last '@' of \(shown(raw))")
    let realm = text(Array(raw[(at + 1)...])).lowercased()
    invariant(
      login.domain == realm,
      "domain \(shown(domain)) is not the lower-cased bytes after the last '@' of \(shown(raw))")
  } else {
    invariant(local == raw, "a login without '@' changed: \(shown(raw)) → \(shown(local))")
    if let defaultDomain {
      invariant(login.domain == defaultDomain, "bare login got domain \(shown(domain)), not the default")
    } else {
      invariant(keepsBare && domain.isEmpty, "bare login \(shown(raw)) accepted without default_domain")
    }
  }

  // What is bound as %u parses back to the same login.
  do {
    let again = try Login.parse(full, defaultDomain: nil, keepsBareLogin: true)
    invariant(again == login, "\(shown(full)) parses to \(again), not \(login)")
  } catch {
    invariant(false, "the accepted login's full form \(shown(full)) is refused: \(error.reason)")
  }
  return 0
}
