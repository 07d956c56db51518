/// etcd's command line: Go's `flag` package syntax over ``FlagTable``, then ETCD_* variables (`pkg/flags`).
enum CommandLineParser {
  struct Outcome {
    var remaining: [String] = []
    var help = false
    var version = false
    var configFile: String?
  }

  /// Parses `arguments` as Go's `FlagSet.Parse` does, applying each flag to `draft` as it goes.
  static func parse(_ arguments: [String], into draft: inout ConfigurationDraft) throws(ConfigurationError) -> Outcome {
    var outcome = Outcome()
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      // A non-flag argument ends the flags; "--" ends them and is dropped.
      guard argument.count >= 2, argument.hasPrefix("-") else { break }
      var name = Substring(argument.dropFirst())
      if name.hasPrefix("-") {
        name = name.dropFirst()
        if name.isEmpty { index += 1; break }
      }
      if name.isEmpty || name.hasPrefix("-") || name.hasPrefix("=") {
        throw .flagSyntax("bad flag syntax: \(argument)")
      }
      index += 1
      var value: String?
      if let equals = name.dropFirst().firstIndex(of: "=") {
        value = String(name[name.index(after: equals)...])
        name = name[..<equals]
      }
      let flagName = String(name)
      guard let spec = FlagTable.byName[flagName] else {
        if flagName == "help" || flagName == "h" { outcome.help = true; return outcome }
        throw .flagSyntax("flag provided but not defined: -\(flagName)")
      }
      let text: String
      if spec.isBool {
        text = value ?? "true"
        do throws(GoValueParsing.Rejection) { try spec.set(&draft, text) } catch {
          throw value == nil ? .flagSyntax("invalid boolean flag \(flagName): \(error.reason)")
            : .flagSyntax("invalid boolean value \(goQuote(text)) for -\(flagName): \(error.reason)")
        }
      } else {
        if value == nil, index < arguments.count {
          value = arguments[index]
          index += 1
        }
        guard let given = value else { throw .flagSyntax("flag needs an argument: -\(flagName)") }
        text = given
        do throws(GoValueParsing.Rejection) { try spec.set(&draft, text) } catch {
          throw .flagSyntax("invalid value \(goQuote(text)) for flag -\(flagName): \(error.reason)")
        }
      }
      record(spec, text: text, in: &draft, outcome: &outcome)
    }
    outcome.remaining = Array(arguments[index...])
    return outcome
  }

  private static func record(_ spec: FlagSpec, text: String, in draft: inout ConfigurationDraft, outcome: inout Outcome) {
    draft.setFlags.insert(spec.name)
    switch spec.name {
    case "config-file": outcome.configFile = text
    case "version": outcome.version = (try? GoValueParsing.bool(text)) ?? false
    default:
      if spec.isIgnored { draft.warn("flag \(goQuote("-" + spec.name)) is no longer supported - ignoring.") }
    }
  }

  /// etcd's `flags.SetFlagsFromEnv` and `verifyEnv`: each flag not given on the command line takes its ETCD_*
  /// variable; a variable shadowed by a given flag is fatal; an ETCD_* variable naming no flag is a warning.
  static func applyEnvironment(_ environment: [String: String], to draft: inout ConfigurationDraft) throws(ConfigurationError) {
    var used: Set<String> = []
    var shadowed: Set<String> = []
    // etcd visits flags in name order.
    for spec in FlagTable.all.sorted(by: { $0.name < $1.name }) {
      let key = spec.environmentName
      if draft.setFlags.contains(spec.name) { shadowed.insert(key); continue }
      guard let value = environment[key], !value.isEmpty else { continue }
      used.insert(key)
      do throws(GoValueParsing.Rejection) { try spec.set(&draft, value) } catch {
        throw .invalidFlags("invalid value \(goQuote(value)) for \(key): \(error.reason)")
      }
      draft.setFlags.insert(spec.name)
      if spec.isIgnored { draft.warn("flag \(goQuote("-" + spec.name)) is no longer supported - ignoring.") }
      draft.info("recognized and used environment variable \(key)=\(value)")
    }
    for (key, value) in environment.sorted(by: { $0.key < $1.key }) where !used.contains(key) {
      if shadowed.contains(key) { throw .environmentConflict(variable: key) }
      if key.hasPrefix("ETCD_") { draft.warn("unrecognized environment variable \(key)=\(value)") }
    }
  }
}
