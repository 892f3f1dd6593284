// What reached the database servers, read from their own logs: PostgreSQL's
// log_statement=all lines (each prepared statement the module executes, as
// "execute pam_swiftsql_N: SQL", then "DETAIL:  parameters: $1 = '…'") and
// MariaDB's general log (the module's "Prepare\tSQL" records; "Execute"
// records show the server's own rendering with the values in place). Records
// may span lines: a statement keeps its newlines.

import Foundation
import Testing

/// One statement the module sent, and the values bound to it as the server
/// logged them.
struct LoggedStatement: CustomStringConvertible {
  let sql: String
  let parameters: String
  var description: String { "\(sql) [\(parameters)]" }
}

extension PostgresCluster {
  /// The statements the module executed (log_statement=all), in order.
  func moduleStatements() throws -> [LoggedStatement] {
    let records = try logRecords()
    var statements: [LoggedStatement] = []
    for (index, record) in records.enumerated() {
      guard let marker = record.range(of: "LOG:  execute pam_swiftsql_"),
        let colon = record[marker.upperBound...].range(of: ": ")
      else { continue }
      let sql = String(record[colon.upperBound...])
      let next = index + 1 < records.count ? records[index + 1] : ""
      let parameters = next.range(of: "DETAIL:  parameters: ").map { String(next[$0.upperBound...]) } ?? ""
      statements.append(LoggedStatement(sql: sql, parameters: parameters))
    }
    return statements
  }

  /// The server log as records: a line with the log prefix (a timestamp)
  /// and the lines that continue it.
  private func logRecords() throws -> [String] {
    let text = try String(contentsOfFile: logFile, encoding: .utf8)
    var records: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.count > 4, line.prefix(4).allSatisfy(\.isNumber), line.dropFirst(4).first == "-" {
        records.append(String(line))
      } else if !records.isEmpty {
        records[records.count - 1] += "\n" + line
      }
    }
    return records
  }
}

extension MariaDBServer {
  /// The general log's records of `command` (Prepare, Execute, Query, …).
  func generalLogRecords(_ command: String) throws -> [String] {
    let text = try String(contentsOfFile: generalLog, encoding: .utf8)
    var records: [(command: String, text: String)] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      // "[yymmdd hh:mm:ss]\t<blanks>id Command\targument"
      var rest = Substring(line)
      if let first = rest.first, first.isNumber, let tab = rest.firstIndex(of: "\t") {
        rest = rest[rest.index(after: tab)...]
      }
      rest = rest.drop { $0 == "\t" || $0 == " " }
      let head = rest.prefix { $0 != "\t" }.split(separator: " ")
      if head.count == 2, Int(head[0]) != nil, head[1].allSatisfy(\.isLetter),
        line.hasPrefix("\t") || line.first?.isNumber == true
      {
        let argument = rest.drop { $0 != "\t" }.dropFirst()
        records.append((String(head[1]), String(argument)))
      } else if !records.isEmpty {
        records[records.count - 1].text += "\n" + line
      }
    }
    return records.filter { $0.command == command }.map(\.text)
  }
}
