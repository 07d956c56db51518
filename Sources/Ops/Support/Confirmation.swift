import Foundation

/// Asks the operator before a destructive step. With `--yes` it goes ahead; without it, it asks on the terminal,
/// and refuses outright when stdin is not a terminal (a script or pipe cannot have meant to say yes).
public struct Confirmation: Sendable {
  /// `--yes` was given.
  public var assumeYes: Bool
  /// Whether stdin is a terminal (injectable for tests).
  public var stdinIsTerminal: Bool
  /// Reads one answer line (injectable for tests).
  public var readAnswer: @Sendable () -> String?

  public init(assumeYes: Bool, stdinIsTerminal: Bool = isatty(STDIN_FILENO) == 1,
              readAnswer: @escaping @Sendable () -> String? = { readLine(strippingNewline: true) }) {
    self.assumeYes = assumeYes
    self.stdinIsTerminal = stdinIsTerminal
    self.readAnswer = readAnswer
  }

  /// Goes ahead only on `--yes` or a typed "yes".
  /// - Parameter action: what is about to happen, as a phrase ("remove member host3 (ID 8e9e05c52164694d)").
  public func require(_ action: String) throws(OpsError) {
    if assumeYes { return }
    guard stdinIsTerminal else { throw .notConfirmed(action: action, reason: "stdin is not a terminal, so nobody can confirm") }
    FileHandle.standardOutput.write(Data("About to \(action).\nType yes to continue: ".utf8))
    let answer = readAnswer()?.trimmingCharacters(in: .whitespaces).lowercased()
    guard answer == "yes" else { throw .notConfirmed(action: action, reason: "the answer was not \"yes\"") }
  }
}
