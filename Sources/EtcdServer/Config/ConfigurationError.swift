/// Why the server configuration could not be loaded: bad flag syntax, a bad environment variable, a bad
/// `--config-file`, or settings that do not fit together.
///
/// Where etcd 3.4 has a message for the same mistake, `description` is etcd's text, character for character (the
/// differential tests compare them); elsewhere it names the setting and the fix.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The command line is not valid Go flag syntax, or a flag value does not parse (etcd prints the message, then its
  /// usage, and exits with status 2). Example: `flag provided but not defined: -bogus`.
  case flagSyntax(String)
  /// etcd's "error verifying flags" class: an ETCD_* value that does not parse, a stray argument, a `--config-file`
  /// that cannot be read or has a wrong type, or settings that contradict each other (exit status 1; etcd logs
  /// "failed to verify flags" with this text as the error).
  case invalidFlags(String)
  /// An ETCD_* variable and the command-line flag it corresponds to are both set (etcd: fatal, exit status 1).
  case environmentConflict(variable: String)
  /// A URL list in the `--config-file` does not parse (etcd prints this line alone and exits with status 1).
  case configFileURLs(key: String, reason: String)
  /// A check etcd makes as the member starts (initial cluster, TLS files for https listeners, data dir, cipher
  /// suites); etcd logs it as fatal and exits with status 1.
  case startup(String)
  /// A setting etcd accepts but cannot run with (for example an unknown `--log-level`, which makes etcd panic):
  /// `problem` says what is wrong, `fix` what to set instead.
  case invalidSetting(name: String, problem: String, fix: String)

  public var description: String {
    switch self {
    case .flagSyntax(let message), .invalidFlags(let message), .startup(let message): message
    case .environmentConflict(let variable):
      "conflicting environment variable \(goQuote(variable)) is shadowed by corresponding command-line flag "
        + "(either unset environment variable or disable flag)"
    case .configFileURLs(let key, let reason): "unexpected error setting up \(key): \(reason)"
    case .invalidSetting(let name, let problem, let fix): "--\(name): \(problem); \(fix)"
    }
  }

  /// The exit status etcd 3.4 uses for this kind of error (2 for flag syntax, 1 otherwise).
  public var exitStatus: Int32 {
    if case .flagSyntax = self { return 2 }
    return 1
  }

  /// Whether etcd prints its usage text after the message (it does for flag syntax errors).
  public var printsUsage: Bool {
    if case .flagSyntax = self { return true }
    return false
  }
}

/// Quotes a string the way Go's `%q` does for printable text (the strings etcd puts in its messages).
func goQuote(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    default:
      if scalar.value < 0x20 || scalar.value == 0x7F {
        out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}

/// Go's `%q` of a string slice: `["a" "b"]`.
func goQuote(_ list: [String]) -> String {
  "[" + list.map { goQuote($0) }.joined(separator: " ") + "]"
}
