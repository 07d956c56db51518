// The member's log: JSON lines like etcd's zap logger ({"level","ts","caller","msg", fields...}) on stderr or a file.
// Callers pass no secrets (passwords, tokens, private keys) as fields.

import Foundation
import Synchronization

/// A structured logger writing one JSON object per line.
public final class ServerLog: Sendable {
  /// Levels in etcd's order.
  public enum Level: Int, Sendable, Comparable {
    case debug, info, warn, error
    public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    var name: String { ["debug", "info", "warn", "error"][rawValue] }
  }

  private let minimum: Level
  private let write: @Sendable (String) -> Void

  /// A logger dropping lines below `minimum`, writing each line with `write` (default: standard error).
  public init(minimum: Level = .info, write: (@Sendable (String) -> Void)? = nil) {
    self.minimum = minimum
    self.write = write ?? { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
  }

  public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:], caller: String = #fileID, line: Int = #line) {
    emit(.debug, message, fields, caller: caller, line: line)
  }

  public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:], caller: String = #fileID, line: Int = #line) {
    emit(.info, message, fields, caller: caller, line: line)
  }

  public func warn(_ message: String, _ fields: KeyValuePairs<String, String> = [:], caller: String = #fileID, line: Int = #line) {
    emit(.warn, message, fields, caller: caller, line: line)
  }

  public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:], caller: String = #fileID, line: Int = #line) {
    emit(.error, message, fields, caller: caller, line: line)
  }

  /// A line at `level` with fields from a dictionary (written in key order), e.g. from the peer transport.
  public func log(_ level: Level, _ message: String, fields: [String: String], caller: String = #fileID, line: Int = #line) {
    guard level >= minimum else { return }
    emit(level, message, fields.sorted { $0.key < $1.key }, caller: caller, line: line)
  }

  private func emit(
    _ level: Level, _ message: String, _ fields: some Sequence<(key: String, value: String)>, caller: String, line: Int
  ) {
    guard level >= minimum else { return }
    var text = "{\"level\":\"\(level.name)\",\"ts\":\"\(Self.timestamp())\",\"caller\":"
    text += jsonStringLiteral("\(caller.split(separator: "/").last.map(String.init) ?? caller):\(line)")
    text += ",\"msg\":" + jsonStringLiteral(message)
    for (key, value) in fields { text += "," + jsonStringLiteral(key) + ":" + jsonStringLiteral(value) }
    write(text + "}")
  }

  private static func timestamp() -> String {
    Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
  }
}
