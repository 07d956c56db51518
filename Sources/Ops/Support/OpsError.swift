import Foundation

/// Errors of swetcd-ops operations (inventory problems are `InventoryError`). Each says what to do.
public enum OpsError: Error, CustomStringConvertible, Sendable {
  /// No templates folder was found.
  case templatesNotFound(searched: [String])
  /// A template failed to parse or render.
  case templateFailed(name: String, message: String)
  /// A command on a host exited non-zero.
  case commandFailed(host: String, command: String, status: Int32, stderr: String)
  /// A command on a host ran past its time limit.
  case commandTimedOut(host: String, command: String, seconds: Int)
  /// The host could not be reached or the connection broke.
  case connectionFailed(host: String, message: String)
  /// Reading or writing a file on a host failed.
  case fileFailed(host: String, path: String, message: String)
  /// A guardrail refused the operation; `reason` says why and what to do.
  case refused(reason: String)
  /// A destructive step was not confirmed.
  case notConfirmed(action: String, reason: String)
  /// The cluster did not reach the expected state; `resume` says where it stopped and how to go on.
  case stopped(step: String, message: String, resume: String)
  /// Several hosts failed at once (each line names its host).
  case several([OpsError])

  public var description: String {
    switch self {
    case .templatesNotFound(let searched):
      return "templates folder not found (looked in \(searched.joined(separator: ", "))); pass --templates DIR"
    case .templateFailed(let name, let message):
      return "template \(name) failed to render: \(message); fix the template or pass --templates with the shipped ones"
    case .commandFailed(let host, let command, let status, let stderr):
      let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return "\(host): `\(command.prefix(200))` exited with status \(status)\(detail.isEmpty ? "" : ": \(detail.suffix(600))")"
    case .commandTimedOut(let host, let command, let seconds):
      return "\(host): `\(command.prefix(200))` did not finish within \(seconds) s; check the host's load and disk"
    case .connectionFailed(let host, let message):
      return "\(host): \(message)"
    case .fileFailed(let host, let path, let message):
      return "\(host): \(path): \(message)"
    case .refused(let reason):
      return "refused: \(reason)"
    case .notConfirmed(let action, let reason):
      return "not confirmed: refusing to \(action) because \(reason); pass --yes to confirm non-interactively"
    case .stopped(let step, let message, let resume):
      return "stopped at \(step): \(message)\n\(resume)"
    case .several(let errors):
      return errors.map(\.description).joined(separator: "\n")
    }
  }
}

extension OpsError {
  /// The values of `results`, or the one failure among them, or all failures as `.several`.
  static func collect<T>(_ results: [Result<T, OpsError>]) throws(OpsError) -> [T] {
    var values: [T] = [], failures: [OpsError] = []
    for result in results {
      switch result {
      case .success(let value): values.append(value)
      case .failure(let error): failures.append(error)
      }
    }
    if failures.count == 1 { throw failures[0] }
    if !failures.isEmpty { throw .several(failures) }
    return values
  }
}
