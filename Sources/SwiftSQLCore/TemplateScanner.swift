// The scanner behind `QueryTemplate.compile`. It walks the template's UTF-8
// bytes (every byte it looks for is ASCII, so multi-byte characters pass
// through whole) with SQL's quoting rules, and decides for each variable
// what it stands for: a value in code or a whole quoted literal (a bound
// parameter, the literal's text around it included), the PAM service inside
// a name (spliced, checked per request; with it %c, which a PAM module
// always binds empty), or anything else inside a name (an error). Variables in comments are copied as text: they stand for nothing.
// Reading one variable, in either Dovecot syntax, is VariableReader's job.

struct TemplateScanner {
  let bytes: [UInt8]
  let style: PlaceholderStyle
  let syntax: QuerySyntax
  let backslashEscapes: Bool
  /// MariaDB's default: "…" is a string like '…', not a name.
  let doubleQuotedStrings: Bool
  let allowsNewHash: Bool
  let allowsReason: Bool
  var position = 0
  /// The SQL text since the last splice.
  var output: [UInt8] = []
  var segments: [SQLSegment] = []
  var parameters: [QueryParameter] = []
  var numbers: [QueryParameter: Int] = [:]
  /// Where the last variable replaced by a placeholder ended: the database
  /// reads a new token there, whatever the template's byte before it was.
  var variableEnd = -1
  /// Where the last splice ended: a name goes on there.
  var spliceEnd = -1

  init(
    bytes: [UInt8], style: PlaceholderStyle, syntax: QuerySyntax, backslashEscapes: Bool, doubleQuotedStrings: Bool,
    allowsNewHash: Bool, allowsReason: Bool
  ) {
    self.bytes = bytes
    self.style = style
    self.syntax = syntax
    self.backslashEscapes = backslashEscapes
    self.doubleQuotedStrings = doubleQuotedStrings
    self.allowsNewHash = allowsNewHash
    self.allowsReason = allowsReason
  }

  var reader: VariableReader { VariableReader(bytes: bytes, syntax: syntax) }

  mutating func run() throws(TemplateError) -> CompiledQuery {
    if bytes.allSatisfy({ $0 == ascii(" ") || $0 == ascii("\t") || $0 == ascii("\n") || $0 == ascii("\r") }) {
      throw .empty
    }
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case ascii("'"):
        let escapes = backslashEscapes || isEscapeStringPrefix(before: position)
        try quotedText(ascii("'"), backslashEscapes: escapes)
      case ascii("\"") where doubleQuotedStrings:
        try quotedText(ascii("\""), backslashEscapes: backslashEscapes)
      case ascii("\""):
        try quotedName(byte)
      case ascii("`") where style == .positional:
        // MariaDB's and SQLite's other name quotes; PostgreSQL has none.
        try quotedName(byte)
      case ascii("-") where peek(1) == ascii("-"):
        lineComment()
      case ascii("/") where peek(1) == ascii("*"):
        try blockComment()
      case ascii("%"):
        try variableInCode()
      case ascii("?") where style == .positional:
        throw .literalPlaceholder("?", offset: position)
      case ascii("$") where style == .numbered && isDigit(peek(1)):
        throw .literalPlaceholder("$" + String(decoding: [bytes[position + 1]], as: UTF8.self), offset: position)
      default:
        output.append(byte)
        position += 1
      }
    }
    flushText()
    return CompiledQuery(segments: segments, parameters: parameters)
  }

  /// A variable in SQL code: a value (a placeholder), or, joined to a word,
  /// part of a name: the service is spliced there, anything else refused.
  mutating func variableInCode() throws(TemplateError) {
    let start = position
    let token = try reader.read(at: start, end: bytes.count)
    position = token.end
    guard case .value(let value) = token.kind else {
      if case .text(let text) = token.kind { output.append(contentsOf: text) }
      return
    }
    try permitted(value.variable, at: start)
    let joinsBefore = (start > 0 && isWordByte(bytes[start - 1])) || start == spliceEnd
    let joinsAfter = position < bytes.count && isWordByte(bytes[position])
    if joinsBefore || joinsAfter {
      // A name that starts with a placeholder would read as one ($1smtp).
      if value.variable.mayBePartOfAName && start != variableEnd {
        splice(value, from: start)
        return
      }
      if !joinsBefore && isDigit(bytes[position]) { throw .digitAfterVariable(offset: start) }
      throw .variableInsideIdentifier(offset: start)
    }
    emitPlaceholder(for: QueryParameter(pieces: [.value(value)]))
    variableEnd = position
  }

  /// `variable`, unless it is `%w` outside password_update_query or
  /// `%{reason}` outside the audit queries.
  func permitted(_ variable: QueryVariable, at offset: Int) throws(TemplateError) {
    if variable == .newHash && !allowsNewHash { throw .newHashNotAllowed(offset: offset) }
    if variable == .reason && !allowsReason { throw .reasonNotAllowed(offset: offset) }
  }

  /// The service name, checked and spliced per request.
  mutating func splice(_ value: QueryValue, from start: Int) {
    flushText()
    segments.append(.serviceName(value, spelling: String(decoding: bytes[start..<position], as: UTF8.self)))
    spliceEnd = position
  }

  mutating func flushText() {
    if !output.isEmpty { segments.append(.text(String(decoding: output, as: UTF8.self))) }
    output = []
  }

  mutating func emitPlaceholder(for parameter: QueryParameter) {
    switch style {
    case .positional:
      parameters.append(parameter)
      output.append(ascii("?"))
    case .numbered:
      let number: Int
      if let existing = numbers[parameter] {
        number = existing
      } else {
        parameters.append(parameter)
        number = parameters.count
        numbers[parameter] = number
      }
      output.append(contentsOf: Array(("$" + String(number)).utf8))
    }
  }

  /// A placeholder followed by a digit would read as another one: `$1`
  /// then `2` is `$12`, and SQLite reads `?2` as parameter 2.
  func refuseDigit(afterVariableAt offset: Int) throws(TemplateError) {
    if position < bytes.count && isDigit(bytes[position]) { throw .digitAfterVariable(offset: offset) }
  }

  /// Where the literal opened at `open` (by `quote`) closes. A `%{…}`
  /// expression inside is skipped whole, so a quote in `default('x')` does
  /// not end it.
  func closingQuote(_ quote: UInt8, of open: Int, backslashEscapes: Bool) throws(TemplateError) -> Int {
    var end = open + 1
    while end < bytes.count {
      if backslashEscapes && bytes[end] == ascii("\\") {
        end += 2
        continue
      }
      if bytes[end] == ascii("%") {
        end = try reader.skip(at: end, end: bytes.count)
        continue
      }
      if bytes[end] == quote {
        if end + 1 < bytes.count && bytes[end + 1] == quote {
          end += 2
          continue
        }
        return end
      }
      end += 1
    }
    throw .unterminatedQuote(offset: open)
  }

  /// A '…' literal (or MariaDB's "…"). Without variables it is copied
  /// (`%%` read as the syntax says). With variables, the whole literal
  /// (quotes included) becomes one placeholder whose value is the literal's
  /// text, a doubled quote read as one, with each variable's value in its
  /// place: `'%u'` binds the login, `'/var/vmail/%d/%n'` binds
  /// "/var/vmail/example.org/alice".
  mutating func quotedText(_ quote: UInt8, backslashEscapes: Bool) throws(TemplateError) {
    let open = position
    let end = try closingQuote(quote, of: open, backslashEscapes: backslashEscapes)
    var pieces: [QueryPiece] = []
    /// The literal's value since the last variable.
    var text: [UInt8] = []
    /// The literal's SQL, for a literal without variables.
    var raw: [UInt8] = []
    var firstEscape: Int? = nil
    var index = open + 1
    while index < end {
      let byte = bytes[index]
      if byte == quote {
        // Only a doubled quote can stand inside.
        text.append(byte)
        raw.append(contentsOf: [byte, byte])
        index += 2
        continue
      }
      if backslashEscapes && byte == ascii("\\") {
        if firstEscape == nil { firstEscape = index }
        raw.append(contentsOf: bytes[index..<min(index + 2, end)])
        index += 2
        continue
      }
      if byte == ascii("%") {
        let token = try reader.read(at: index, end: end)
        switch token.kind {
        case .text(let literal):
          text.append(contentsOf: literal)
          raw.append(contentsOf: literal)
        case .value(let value):
          try permitted(value.variable, at: index)
          if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))) }
          text = []
          pieces.append(.value(value))
        }
        index = token.end
        continue
      }
      text.append(byte)
      raw.append(byte)
      index += 1
    }
    position = end + 1
    guard !pieces.isEmpty else {
      output.append(quote)
      output.append(contentsOf: raw)
      output.append(quote)
      return
    }
    if let firstEscape { throw .escapeInsideTextWithVariables(offset: firstEscape) }
    if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))) }
    // E'…' is one token: the placeholder replaces the E too.
    if quote == ascii("'"), isEscapeStringPrefix(before: open), output.last == bytes[open - 1] { output.removeLast() }
    emitPlaceholder(for: QueryParameter(pieces: pieces))
    variableEnd = position
    try refuseDigit(afterVariableAt: open)
  }

  /// A "…" identifier, or MySQL's `…`: copied; `%%` read as the syntax
  /// says; the service is spliced; any other variable is an error.
  mutating func quotedName(_ quote: UInt8) throws(TemplateError) {
    let open = position
    output.append(quote)
    position += 1
    while position < bytes.count {
      let byte = bytes[position]
      if byte == quote {
        if peek(1) == ascii("\"") {
          output.append(contentsOf: [byte, byte])
          position += 2
          continue
        }
        output.append(byte)
        position += 1
        return
      }
      if byte == ascii("%") {
        let start = position
        let token = try reader.read(at: start, end: bytes.count)
        position = token.end
        switch token.kind {
        case .text(let literal):
          output.append(contentsOf: literal)
        case .value(let value):
          guard value.variable.mayBePartOfAName else { throw .variableInsideIdentifier(offset: start) }
          splice(value, from: start)
        }
        continue
      }
      output.append(byte)
      position += 1
    }
    throw .unterminatedQuote(offset: open)
  }

  /// `-- …` to the end of the line: copied as it is.
  mutating func lineComment() {
    while position < bytes.count && bytes[position] != ascii("\n") {
      output.append(bytes[position])
      position += 1
    }
  }

  /// `/* … */`: copied as it is.
  mutating func blockComment() throws(TemplateError) {
    let open = position
    output.append(contentsOf: [ascii("/"), ascii("*")])
    position += 2
    while position + 1 < bytes.count {
      if bytes[position] == ascii("*") && bytes[position + 1] == ascii("/") {
        output.append(contentsOf: [ascii("*"), ascii("/")])
        position += 2
        return
      }
      output.append(bytes[position])
      position += 1
    }
    throw .unterminatedComment(offset: open)
  }

  /// PostgreSQL's E'…' strings treat backslash as an escape. The E starts a
  /// token at the start, after a byte that cannot continue a word, or right
  /// after a variable (`%n E'…'` aside, a placeholder ends a token).
  func isEscapeStringPrefix(before index: Int) -> Bool {
    guard index >= 1, bytes[index - 1] == ascii("E") || bytes[index - 1] == ascii("e") else { return false }
    if index == 1 || index - 1 == variableEnd { return true }
    let before = bytes[index - 2]
    return !(isDigit(before) || isLetter(before) || before == ascii("_"))
  }

  func peek(_ ahead: Int) -> UInt8? {
    position + ahead < bytes.count ? bytes[position + ahead] : nil
  }
}

@inline(__always) func ascii(_ scalar: Unicode.Scalar) -> UInt8 { UInt8(truncatingIfNeeded: scalar.value) }

@inline(__always) func isDigit(_ byte: UInt8?) -> Bool {
  guard let byte else { return false }
  return byte >= ascii("0") && byte <= ascii("9")
}

@inline(__always) func isLetter(_ byte: UInt8) -> Bool {
  (byte >= ascii("a") && byte <= ascii("z")) || (byte >= ascii("A") && byte <= ascii("Z"))
}

/// A byte that can continue an SQL name: a letter, a digit, `_`, `$`, or
/// part of a multi-byte character.
@inline(__always) func isWordByte(_ byte: UInt8) -> Bool {
  isLetter(byte) || isDigit(byte) || byte == ascii("_") || byte == ascii("$") || byte >= 0x80
}
