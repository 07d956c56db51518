import Synchronization

/// Supplies passphrases for encrypted private key files, asking its closure at most once per key path.
///
/// Share one provider between the targets of a run: parallel connections then prompt once per key, one prompt at a
/// time, and reuse the answer. A wrong answer is remembered too (the key then fails with `keyPassphraseWrong`
/// instead of prompting again).
public final class PassphraseProvider: Sendable {
  private let ask: @Sendable (_ keyPath: String) -> String?
  /// Answers by key path; a stored nil means "asked, no answer".
  private let answers = Mutex<[String: String?]>([:])

  /// A provider that asks `ask` (for example a TTY prompt) for the passphrase of the key at the given path.
  /// Returning nil means "no passphrase": the key is skipped.
  public init(_ ask: @escaping @Sendable (_ keyPath: String) -> String?) {
    self.ask = ask
  }

  /// A non-interactive provider that answers every key with the same passphrase.
  public static func constant(_ passphrase: String) -> PassphraseProvider {
    PassphraseProvider { _ in passphrase }
  }

  /// The passphrase for `keyPath`, asking the closure only the first time this key is seen.
  /// Holding the lock while asking serialises prompts from parallel connections.
  func passphrase(forKey keyPath: String) -> String? {
    answers.withLock { answers in
      if let known = answers[keyPath] { return known }
      let answer = ask(keyPath)
      answers[keyPath] = .some(answer)
      return answer
    }
  }
}
