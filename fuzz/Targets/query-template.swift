// QueryTemplate.compile over arbitrary templates, in both placeholder styles,
// with and without backslash escapes, with and without %w and %{reason};
// then CompiledQuery.values(for:) for a login taken from the input.
//
// Input: one flag byte (bit 0: numbered ($1) rather than positional (?);
// bit 1: backslash escapes in '…'; bit 2: %w allowed; bit 3: %{reason}
// allowed), the template up to the first NUL, then the login.
//
// Invariants: compiling never traps and is deterministic; an error's byte
// offset lies inside the template; in the SQL it makes, read back with the
// same quoting rules the compiler documents ('…' with '' and, when enabled
// or after E, backslashes; "…"; -- and /* */ comments), every placeholder
// stands outside quotes and comments, positional SQL has exactly one ? per
// parameter, numbered SQL uses exactly $1…$n, each parameter once; %w and
// %{reason} appear only where allowed; the login is never in the SQL unless
// the template itself holds it; the values bound are the login's parts,
// one per parameter.

import SwiftSQLCore

/// What a placeholder scan of compiled SQL found.
struct PlaceholderScan {
  var questionMarks = 0
  var numbers: [Int] = []
  /// A quote or comment that does not end (the compiler would have refused
  /// such a template, so the SQL must not have one either).
  var unterminated = false
}

/// Reads `sql` with the quoting rules QueryTemplate documents and collects
/// the placeholders that stand in code (outside quotes and comments). `$n`
/// is a placeholder only in the numbered style; in the positional style it
/// is text the template held, and its digits are part of a word, so an E
/// after them opens no escape string (`$1E'\'` is a whole '…').
func scanPlaceholders(_ sql: [UInt8], style: PlaceholderStyle, backslashEscapes: Bool) -> PlaceholderScan {
  var scan = PlaceholderScan()
  var index = 0
  /// Where the last $n placeholder ended: PostgreSQL starts a new token
  /// there, so an E right after it can open an escape string.
  var placeholderEnd = -1
  /// From the opening `quote` at `index` to just past its closing one (a
  /// doubled quote stands for itself); marks the scan unterminated if the
  /// text ends first.
  func skipQuoted(_ quote: UInt8, backslashEscapes escapes: Bool) {
    index += 1
    while index < sql.count {
      if escapes && sql[index] == UInt8(ascii: "\\") {
        index += 2
        continue
      }
      if sql[index] == quote {
        if index + 1 < sql.count && sql[index + 1] == quote {
          index += 2
          continue
        }
        index += 1
        return
      }
      index += 1
    }
    scan.unterminated = true
  }
  func isWordByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
  }
  while index < sql.count {
    let byte = sql[index]
    switch byte {
    case UInt8(ascii: "'"):
      let escapeString =
        index >= 1 && (sql[index - 1] == UInt8(ascii: "E") || sql[index - 1] == UInt8(ascii: "e"))
        && (index == 1 || !isWordByte(sql[index - 2]) || index - 1 == placeholderEnd)
      skipQuoted(UInt8(ascii: "'"), backslashEscapes: backslashEscapes || escapeString)
    case UInt8(ascii: "\""):
      skipQuoted(UInt8(ascii: "\""), backslashEscapes: false)
    case UInt8(ascii: "-") where index + 1 < sql.count && sql[index + 1] == UInt8(ascii: "-"):
      while index < sql.count && sql[index] != UInt8(ascii: "\n") { index += 1 }
    case UInt8(ascii: "/") where index + 1 < sql.count && sql[index + 1] == UInt8(ascii: "*"):
      index += 2
      var closed = false
      while index + 1 < sql.count {
        if sql[index] == UInt8(ascii: "*") && sql[index + 1] == UInt8(ascii: "/") {
          closed = true
          index += 2
          break
        }
        index += 1
      }
      if !closed {
        scan.unterminated = true
        index = sql.count
      }
    case UInt8(ascii: "?"):
      scan.questionMarks += 1
      index += 1
    case UInt8(ascii: "$")
    where style == .numbered && index + 1 < sql.count && sql[index + 1] >= 0x30 && sql[index + 1] <= 0x39:
      // PostgreSQL reads every digit that follows as the number.
      var end = index + 1
      while end < sql.count && sql[end] >= 0x30 && sql[end] <= 0x39 { end += 1 }
      let digits = sql[(index + 1)..<end]
      scan.numbers.append(digits.count > 6 ? Int.max : Int(text(Array(digits))) ?? Int.max)
      index = end
      placeholderEnd = end
    default:
      index += 1
    }
  }
  return scan
}

func errorOffset(_ error: TemplateError) -> Int? {
  switch error {
  case .unknownVariable(_, let offset), .unterminatedVariable(let offset), .variableInsideText(let offset),
    .variableInsideIdentifier(let offset), .unterminatedQuote(let offset), .unterminatedComment(let offset),
    .literalPlaceholder(_, let offset), .newHashNotAllowed(let offset), .reasonNotAllowed(let offset),
    .digitAfterVariable(let offset):
    return offset
  case .empty:
    return nil
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  let style: PlaceholderStyle = flags & 1 != 0 ? .numbered : .positional
  let backslashEscapes = flags & 2 != 0
  let allowsNewHash = flags & 4 != 0
  let allowsReason = flags & 8 != 0
  let template = text(input.segment(until: 0))
  let templateBytes = Array(template.utf8)
  let loginBytes = input.rest()

  func compile() throws(TemplateError) -> CompiledQuery {
    try QueryTemplate.compile(
      template, style: style, backslashEscapes: backslashEscapes, allowsNewHash: allowsNewHash,
      allowsReason: allowsReason)
  }
  let query: CompiledQuery
  do {
    query = try compile()
  } catch {
    invariant(!error.reason.isEmpty, "an error without a reason")
    if let offset = errorOffset(error) {
      invariant(offset >= 0 && offset < templateBytes.count, "\(error) is outside the \(templateBytes.count) bytes")
    }
    do {
      _ = try compile()
      invariant(false, "the second compile of the same template succeeded")
    } catch let again {
      invariant(again == error, "the same template failed as \(error), then as \(again)")
    }
    return 0
  }
  invariant((try? compile()) == query, "compiling the same template twice differs")

  // Placeholders, read back with the compiler's own quoting rules.
  let sql = Array(query.sql.utf8)
  let scan = scanPlaceholders(sql, style: style, backslashEscapes: backslashEscapes)
  invariant(!scan.unterminated, "the SQL \(shown(sql)) has an unterminated quote or comment")
  switch style {
  case .positional:
    invariant(
      scan.questionMarks == query.parameters.count,
      "\(scan.questionMarks) ? in \(shown(sql)) for \(query.parameters.count) parameters")
  case .numbered:
    invariant(
      Set(query.parameters).count == query.parameters.count, "a parameter is listed twice: \(query.parameters)")
    invariant(
      scan.numbers.allSatisfy { $0 >= 1 && $0 <= query.parameters.count },
      "\(shown(sql)) uses $\(scan.numbers) for \(query.parameters.count) parameters")
    invariant(
      Set(scan.numbers).count == query.parameters.count,
      "\(shown(sql)) uses \(Set(scan.numbers).count) distinct numbers for \(query.parameters.count) parameters")
  }
  let variables = query.parameters.map { $0.variable }
  if !allowsNewHash { invariant(!variables.contains(.newHash), "%w compiled where it is not allowed") }
  if !allowsReason { invariant(!variables.contains(.reason), "%{reason} compiled where it is not allowed") }

  // The values: the login's parts, never spliced.
  guard let login = try? Login.parse(loginBytes, defaultDomain: "example.org", keepsBareLogin: false) else {
    return 0
  }
  if login.full.utf8.count >= 3 && !contains(template, login.full) {
    invariant(!contains(query.sql, login.full), "the login \(shown(login.full)) is in the SQL \(shown(sql))")
  }
  var context = QueryContext(login: login, service: "smtp", remoteHost: "192.0.2.7")
  context.newHash = "{SHA512-CRYPT}$6$new"
  context.reason = "wrong password"
  context.pid = "4242"
  context.hostname = "mx.example.org"
  let values = query.values(for: context)
  invariant(values.count == query.parameters.count, "\(values.count) values for \(query.parameters.count) parameters")
  for (parameter, value) in zip(query.parameters, values) {
    let expected: String
    switch parameter.variable {
    case .user: expected = login.full
    case .username: expected = login.localPart
    case .domain: expected = login.domain
    case .service: expected = "smtp"
    case .remoteHost: expected = "192.0.2.7"
    case .newHash: expected = "{SHA512-CRYPT}$6$new"
    case .reason: expected = "wrong password"
    case .pid: expected = "4242"
    case .hostname: expected = "mx.example.org"
    }
    invariant(
      value == (parameter.lowercased ? expected.lowercased() : expected),
      "\(parameter) is bound to \(shown(value)), not \(shown(expected))")
  }
  return 0
}
