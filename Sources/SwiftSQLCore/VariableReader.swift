// Reads one variable of a query template, at a `%`, in either Dovecot
// syntax. Dovecot 2.3 (src/lib/var-expand.c): `%%` is a `%`; a width or
// offset (`%1n`, `%2.1n`) and the modifiers E X R H N M D are refused by
// name; L U T are applied; then a letter (`%u`) or a `{…}` expression.
// Dovecot 2.4 (src/lib-var-expand/var-expand-lexer.l and -parser.y): only
// `%{…}` is a variable, `%%{` is a `%{`, any other `%` is itself. Inside the
// braces both read Dovecot 2.4's expression language as far as a login
// query needs it: a variable name, then filters separated by `|`: lower,
// upper, username, domain, default(…) with a quoted text or a number.
// Anything else Dovecot 2.4 knows (hash filters, math, providers such as
// `passdb:`) is refused by name.

struct VariableReader {
  let bytes: [UInt8]
  let syntax: QuerySyntax

  /// What a `%` starts.
  enum Kind: Equatable {
    /// Text that stands for itself (`%%` → `%`).
    case text([UInt8])
    case value(QueryValue)
  }

  struct Token {
    let kind: Kind
    /// Just past the token.
    let end: Int
  }

  /// The Dovecot 2.3 modifiers: those applied, and those refused (with what
  /// Dovecot does with them).
  static let modifiers: [(letter: UInt8, filter: QueryFilter?, meaning: String)] = [
    (ascii("L"), .lower, "lower case"), (ascii("U"), .upper, "upper case"), (ascii("T"), .trim, "trim"),
    (ascii("E"), nil, "backslash escaping"), (ascii("X"), nil, "hexadecimal"), (ascii("R"), nil, "reverse"),
    (ascii("H"), nil, "hash"), (ascii("N"), nil, "new hash"), (ascii("M"), nil, "MD5"),
    (ascii("D"), nil, "LDAP DN"),
  ]

  /// Reads the variable at `start` (a `%`), looking no further than `end`.
  func read(at start: Int, end: Int) throws(TemplateError) -> Token {
    switch syntax {
    case .dovecot24:
      if byte(start + 1, end) == ascii("%") && byte(start + 2, end) == ascii("{") {
        return Token(kind: .text([ascii("%"), ascii("{")]), end: start + 3)
      }
      guard byte(start + 1, end) == ascii("{") else { return Token(kind: .text([ascii("%")]), end: start + 1) }
      return try expression(at: start + 1, end: end, percent: start, modifiers: [])
    case .dovecot23:
      var index = start + 1
      guard let first = byte(index, end) else { throw .unknownVariable("%", offset: start) }
      if first == ascii("%") { return Token(kind: .text([ascii("%")]), end: index + 1) }
      // [<offset>.]<width>: cuts or pads the value.
      if isDigit(first) || first == ascii("-") || first == ascii(".") {
        while let next = byte(index, end), isDigit(next) || next == ascii("-") || next == ascii(".") { index += 1 }
        let shown = text(start, min(index + 1, end))
        throw .unsupportedModifier("width/offset in '\(shown)'", offset: start)
      }
      var filters: [QueryFilter] = []
      while let next = byte(index, end), let modifier = VariableReader.modifiers.first(where: { $0.letter == next }) {
        guard let filter = modifier.filter else {
          throw .unsupportedModifier(
            "%" + String(decoding: [next], as: UTF8.self) + " (\(modifier.meaning))", offset: start)
        }
        filters.append(filter)
        index += 1
      }
      guard let letter = byte(index, end) else { throw .unknownVariable(text(start, end), offset: start) }
      if letter == ascii("{") { return try expression(at: index, end: end, percent: start, modifiers: filters) }
      let shown = text(start, index + 1)
      guard let entry = QueryVariable.shortNames.first(where: { $0.letter == letter }) else {
        throw .unknownVariable(shown, offset: start)
      }
      switch entry.resolution {
      case .variable(let variable): return Token(kind: .value(QueryValue(variable, filters: filters)), end: index + 1)
      case .refused(let why): throw .variableNotAvailable(shown, reason: why, offset: start)
      }
    }
  }

  /// Just past the variable at `start` when it is a `{…}` expression (or
  /// `%%`), else just past the `%`: how a quoted literal's end is found.
  func skip(at start: Int, end: Int) throws(TemplateError) -> Int {
    var index = start + 1
    switch syntax {
    case .dovecot24:
      if byte(index, end) == ascii("%") && byte(index + 1, end) == ascii("{") { return index + 2 }
    case .dovecot23:
      if byte(index, end) == ascii("%") { return index + 1 }
      while let next = byte(index, end), VariableReader.modifiers.contains(where: { $0.letter == next }) {
        index += 1
      }
    }
    guard byte(index, end) == ascii("{") else { return start + 1 }
    return try closingBrace(after: index, end: end, percent: start) + 1
  }

  /// The `}` that closes the `{` at `open`: the first outside quotes.
  func closingBrace(after open: Int, end: Int, percent: Int) throws(TemplateError) -> Int {
    var index = open + 1
    while index < end {
      let current = bytes[index]
      if current == ascii("}") { return index }
      if current == ascii("'") || current == ascii("\"") {
        index += 1
        while index < end && bytes[index] != current {
          index += bytes[index] == ascii("\\") ? 2 : 1
        }
      }
      index += 1
    }
    throw .unterminatedVariable(offset: percent)
  }

  /// `{name | filter | filter(…)}` at `open`; `modifiers` (Dovecot 2.3's,
  /// written before the brace) apply last.
  func expression(at open: Int, end: Int, percent: Int, modifiers: [QueryFilter]) throws(TemplateError) -> Token {
    let close = try closingBrace(after: open, end: end, percent: percent)
    var lexer = ExpressionLexer(bytes: bytes, position: open + 1, end: close, offset: percent)
    guard case .name(let name) = try lexer.next() else {
      throw .badExpression("it must start with a variable name, e.g. %{user}", offset: percent)
    }
    let variable = try resolve(name, at: percent)
    var filters: [QueryFilter] = []
    while true {
      switch try lexer.next() {
      case .end:
        return Token(kind: .value(QueryValue(variable, filters: filters + modifiers)), end: close + 1)
      case .pipe:
        filters.append(try filter(&lexer, at: percent))
      case .other(let token):
        throw .badExpression("'\(token)' after \(name); filters are written '| name'", offset: percent)
      default:
        throw .badExpression("unexpected text after \(name); filters are written '| name'", offset: percent)
      }
    }
  }

  /// A long name: a variable, or why it is refused.
  func resolve(_ name: String, at offset: Int) throws(TemplateError) -> QueryVariable {
    switch name {
    case "process:pid": return .pid
    case "system:hostname": return .hostname
    default: break
    }
    if let resolution = QueryVariable.longNames[name] {
      switch resolution {
      case .variable(let variable): return variable
      case .refused(let why): throw .variableNotAvailable("%{\(name)}", reason: why, offset: offset)
      }
    }
    if name.utf8.contains(ascii(":")) {
      throw .variableNotAvailable(
        "%{\(name)}", reason: "values from other sources (passdb:, userdb:, env:, …) are not known to a PAM module",
        offset: offset)
    }
    throw .unknownVariable("%{\(name)}", offset: offset)
  }

  /// One filter after a `|`.
  func filter(_ lexer: inout ExpressionLexer, at offset: Int) throws(TemplateError) -> QueryFilter {
    guard case .name(let name) = try lexer.next() else {
      throw .badExpression("a '|' must be followed by a filter name", offset: offset)
    }
    var arguments: [ExpressionLexer.Token] = []
    if lexer.peekIsOpenParenthesis() {
      _ = try lexer.next()
      argumentList: while true {
        let token = try lexer.next()
        switch token {
        case .closeParenthesis: break argumentList
        case .comma: continue
        case .end: throw .badExpression("'(' after \(name) is never closed", offset: offset)
        default: arguments.append(token)
        }
      }
    }
    let simple: QueryFilter?
    switch name {
    case "lower": simple = .lower
    case "upper": simple = .upper
    case "username": simple = .username
    case "domain": simple = .domain
    case "default":
      guard arguments.count <= 1 else {
        throw .badExpression("default(…) takes one value", offset: offset)
      }
      switch arguments.first {
      case nil: return .defaultValue("")
      case .some(.string(let text)), .some(.number(let text)): return .defaultValue(text)
      default:
        throw .badExpression("default(…) takes a quoted text or a number, e.g. default('none')", offset: offset)
      }
    default:
      throw .unsupportedFilter(name, offset: offset)
    }
    guard arguments.isEmpty, let simple else {
      throw .badExpression("\(name) takes no arguments", offset: offset)
    }
    return simple
  }

  func byte(_ index: Int, _ end: Int) -> UInt8? { index < end ? bytes[index] : nil }

  func text(_ from: Int, _ to: Int) -> String {
    String(decoding: bytes[from..<max(from, min(to, bytes.count))], as: UTF8.self)
  }
}

/// The tokens of a `{…}` expression, as Dovecot 2.4's lexer makes them.
struct ExpressionLexer {
  let bytes: [UInt8]
  var position: Int
  let end: Int
  /// Where the variable starts, for errors.
  let offset: Int

  enum Token: Equatable {
    case name(String)
    case string(String)
    case number(String)
    case pipe
    case openParenthesis
    case closeParenthesis
    case comma
    case end
    /// Anything else (math, `=`): shown in the error.
    case other(String)
  }

  mutating func skipBlanks() {
    while position < end && (bytes[position] == ascii(" ") || bytes[position] == ascii("\t")) { position += 1 }
  }

  mutating func peekIsOpenParenthesis() -> Bool {
    skipBlanks()
    return position < end && bytes[position] == ascii("(")
  }

  mutating func next() throws(TemplateError) -> Token {
    skipBlanks()
    guard position < end else { return .end }
    let first = bytes[position]
    switch first {
    case ascii("|"):
      position += 1
      return .pipe
    case ascii("("):
      position += 1
      return .openParenthesis
    case ascii(")"):
      position += 1
      return .closeParenthesis
    case ascii(","):
      position += 1
      return .comma
    case ascii("'"), ascii("\""):
      return .string(try quoted(first))
    case ascii("-") where position + 1 < end && isDigit(bytes[position + 1]):
      position += 1
      return .number("-" + digits())
    default:
      if isDigit(first) { return .number(digits()) }
      if isLetter(first) || first >= 0x80 {
        let start = position
        while position < end && isNameByte(bytes[position]) { position += 1 }
        return .name(String(decoding: bytes[start..<position], as: UTF8.self))
      }
      position += 1
      return .other(String(decoding: [first], as: UTF8.self))
    }
  }

  func isNameByte(_ byte: UInt8) -> Bool {
    isLetter(byte) || isDigit(byte) || byte >= 0x80 || byte == ascii("_") || byte == ascii("/")
      || byte == ascii(";") || byte == ascii(":") || byte == ascii(".") || byte == ascii("-")
  }

  mutating func digits() -> String {
    let start = position
    while position < end && isDigit(bytes[position]) { position += 1 }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  /// A quoted text with Dovecot's escapes: \\ \' \" \t \r \n, \xHH and
  /// octal \ooo.
  mutating func quoted(_ quote: UInt8) throws(TemplateError) -> String {
    position += 1
    var result: [UInt8] = []
    while position < end {
      let current = bytes[position]
      if current == quote {
        position += 1
        guard let text = String(validating: result, as: UTF8.self) else {
          throw .badExpression("a quoted text is not valid UTF-8", offset: offset)
        }
        return text
      }
      guard current == ascii("\\") else {
        result.append(current)
        position += 1
        continue
      }
      position += 1
      guard position < end else { break }
      let escaped = bytes[position]
      switch escaped {
      case ascii("\\"), ascii("'"), ascii("\""):
        result.append(escaped)
        position += 1
      case ascii("t"):
        result.append(ascii("\t"))
        position += 1
      case ascii("r"):
        result.append(ascii("\r"))
        position += 1
      case ascii("n"):
        result.append(ascii("\n"))
        position += 1
      case ascii("x"):
        guard position + 2 < end, let high = hexValue(bytes[position + 1]), let low = hexValue(bytes[position + 2])
        else { throw .badExpression("an invalid \\x escape in a quoted text", offset: offset) }
        result.append(high << 4 | low)
        position += 3
      default:
        var value = 0
        var count = 0
        while count < 3, position < end, bytes[position] >= ascii("0"), bytes[position] <= ascii("7") {
          value = value * 8 + Int(bytes[position] - ascii("0"))
          position += 1
          count += 1
        }
        guard count > 0, value <= 255 else {
          throw .badExpression("an invalid escape in a quoted text", offset: offset)
        }
        result.append(UInt8(value))
      }
    }
    throw .badExpression("a quoted text is never closed", offset: offset)
  }

  func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case ascii("0")...ascii("9"): byte - ascii("0")
    case ascii("a")...ascii("f"): byte - ascii("a") + 10
    case ascii("A")...ascii("F"): byte - ascii("A") + 10
    default: nil
    }
  }
}
