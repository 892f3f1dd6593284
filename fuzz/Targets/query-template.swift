// QueryTemplate.compile over arbitrary templates, in both placeholder styles,
// both Dovecot syntaxes (2.3's %u, %Lu, %{user}; 2.4's %{user | domain}),
// with and without backslash escapes and MariaDB's "…" strings, with and
// without %w and %{reason}; then CompiledQuery.statement(for:) for a login
// taken from the input and a valid and an invalid PAM service.
//
// Input: one flag byte (bit 0: numbered ($1) rather than positional (?);
// bit 1: backslash escapes in '…'; bit 2: %w allowed; bit 3: %{reason}
// allowed; bit 4: Dovecot 2.4's syntax; bit 5: "…" is a string), the
// template up to the first NUL, then the login.
//
// Invariants: compiling never traps and is deterministic; an error's byte
// offset lies inside the template; in the SQL it makes, read back with the
// same quoting rules the compiler documents ('…' with '' and, when enabled
// or after E, backslashes; "…", and `…` for ?; -- and /* */ comments), every
// placeholder stands outside quotes and comments, positional SQL has exactly
// one ? per parameter, numbered SQL uses exactly $1…$n, each parameter once;
// %w and %{reason} appear only where allowed; the login is never in the SQL
// unless the template itself holds it; a service name is spliced only where
// the query splices it, only when it is a-z, 0-9 and _, and never changes
// the placeholders; the values bound are, per parameter, its text pieces and
// its variables' values with their filters, as computed here.

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
func scanPlaceholders(
  _ sql: [UInt8], style: PlaceholderStyle, backslashEscapes: Bool, doubleQuotedStrings: Bool
) -> PlaceholderScan {
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
      skipQuoted(UInt8(ascii: "\""), backslashEscapes: doubleQuotedStrings && backslashEscapes)
    case UInt8(ascii: "`") where style == .positional:
      skipQuoted(UInt8(ascii: "`"), backslashEscapes: false)
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

/// A variable's value for `context`, computed here (not by the module).
func expectedValue(of variable: QueryVariable, _ context: QueryContext) -> String {
  switch variable {
  case .user: return context.login.full
  case .username: return context.login.localPart
  case .domain: return context.login.domain
  case .domainFirst:
    let bytes = Array(context.login.full.utf8)
    guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return "" }
    let rest = bytes[(at + 1)...]
    return text(Array(rest.prefix { $0 != UInt8(ascii: "@") }))
  case .service: return context.service
  case .remoteHost: return context.remoteHost
  case .newHash: return context.newHash
  case .reason: return context.reason
  case .pid: return context.pid
  case .hostname: return context.hostname
  case .notKnownToPAM(_, let value): return value
  }
}

/// A filter applied, computed here.
func expectedFilter(_ filter: QueryFilter, _ value: String) -> String {
  var bytes = Array(value.utf8)
  switch filter {
  case .lower: bytes = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
  case .upper: bytes = bytes.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }
  case .trim: while let last = bytes.last, [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(last) { bytes.removeLast() }
  case .username: if let at = bytes.lastIndex(of: UInt8(ascii: "@")) { bytes = Array(bytes[..<at]) }
  case .domain: bytes = bytes.lastIndex(of: UInt8(ascii: "@")).map { Array(bytes[($0 + 1)...]) } ?? []
  case .defaultValue(let fallback): if bytes.isEmpty { bytes = Array(fallback.utf8) }
  }
  return text(bytes)
}

func expectedValue(of parameter: QueryParameter, _ context: QueryContext) -> String {
  parameter.pieces.map { piece -> String in
    switch piece {
    case .text(let text): return text
    case .value(let value): return value.filters.reduce(expectedValue(of: value.variable, context)) {
      expectedFilter($1, $0)
    }
    }
  }.joined()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueryTemplate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  let style: PlaceholderStyle = flags & 1 != 0 ? .numbered : .positional
  let backslashEscapes = flags & 2 != 0
  let allowsNewHash = flags & 4 != 0
  let allowsReason = flags & 8 != 0
  let syntax: QuerySyntax = flags & 16 != 0 ? .dovecot24 : .dovecot23
  let doubleQuotedStrings = flags & 32 != 0
  let template = text(input.segment(until: 0))
  let templateBytes = Array(template.utf8)
  let loginBytes = input.rest()

  func compile() throws(TemplateError) -> CompiledQuery {
    try QueryTemplate.compile(
      template, style: style, syntax: syntax, backslashEscapes: backslashEscapes,
      doubleQuotedStrings: doubleQuotedStrings, allowsNewHash: allowsNewHash, allowsReason: allowsReason)
  }
  let query: CompiledQuery
  do {
    query = try compile()
  } catch {
    invariant(!error.reason.isEmpty, "an error without a reason")
    if let offset = error.offset {
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
  let variables = query.variables
  if !allowsNewHash { invariant(!variables.contains(.newHash), "%w compiled where it is not allowed") }
  if !allowsReason { invariant(!variables.contains(.reason), "%{reason} compiled where it is not allowed") }

  guard let login = try? Login.parse(loginBytes, defaultDomain: "example.org", keepsBareLogin: false) else {
    return 0
  }
  var context = QueryContext(login: login, service: "zz_9q", remoteHost: "192.0.2.7")
  context.newHash = "{SHA512-CRYPT}$6$new"
  context.reason = "wrong password"
  context.pid = "4242"
  context.hostname = "mx.example.org"

  // A service name that must never be spliced.
  let refused = QueryContext(login: login, service: "sm'tp", remoteHost: "192.0.2.7")
  let refusedStatement = Result { () throws(AuthFailure) in try query.statement(for: refused) }
  let splicesService = query.segments.contains {
    if case .serviceName(let value, _) = $0 { return value.variable == .service }
    return false
  }
  if case .success = refusedStatement {
    invariant(!splicesService, "the service sm'tp was spliced into \(shown(query.sql))")
  }

  let statement: (sql: String, values: [String])
  do {
    statement = try query.statement(for: context)
  } catch {
    // Only a filter can turn the service into something that is not a name.
    invariant(splicesService, "a query that splices no service failed: \(error)")
    return 0
  }
  let sql = Array(statement.sql.utf8)
  if !query.splicesServiceName {
    invariant(statement.sql == query.sql, "the SQL of a query without splices depends on the request")
  }

  // Placeholders, read back with the compiler's own quoting rules.
  let scan = scanPlaceholders(sql, style: style, backslashEscapes: backslashEscapes, doubleQuotedStrings: doubleQuotedStrings)
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

  // The values: computed here, never spliced.
  if login.full.utf8.count >= 3 && !contains(template, login.full) {
    invariant(!contains(statement.sql, login.full), "the login \(shown(login.full)) is in the SQL \(shown(sql))")
  }
  invariant(
    statement.values.count == query.parameters.count,
    "\(statement.values.count) values for \(query.parameters.count) parameters")
  for (parameter, value) in zip(query.parameters, statement.values) {
    let expected = expectedValue(of: parameter, context)
    invariant(value == expected, "\(parameter) is bound to \(shown(value)), not \(shown(expected))")
  }
  return 0
}
