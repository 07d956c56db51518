import Foundation

/// When scheduled backups run: `hourly`, `daily`, `weekly` or any systemd OnCalendar expression, with the random
/// delay that keeps the members from all snapshotting at the same moment.
public struct BackupScheduleSpec: Sendable, Hashable {
  /// What the operator wrote (`daily`, `Mon..Fri 02:30`).
  public var text: String

  /// - Throws: `OpsError.refused` for an empty spec or one with characters a unit file cannot hold.
  public init(_ text: String) throws(OpsError) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else {
      throw .refused(reason: "the schedule is empty; give hourly, daily, weekly or a systemd OnCalendar expression such as \"*-*-* 02:30\"")
    }
    guard trimmed.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\"" && $0 != "'" && $0 != "\\" && $0 != "%" && $0 != "$" }) else {
      throw .refused(reason: "the schedule \"\(text)\" holds characters no OnCalendar expression has (quotes, %, $, \\ or a line break); see `man systemd.time`")
    }
    self.text = trimmed
  }

  /// The value of the timer's OnCalendar= (the shorthands are systemd's own).
  public var onCalendar: String { text }

  /// systemd's normalized form of the shorthands (as `systemd-analyze calendar` prints it); nil for other
  /// expressions, which the host's systemd-analyze normalizes.
  public var knownNormalizedForm: String? {
    switch text.lowercased() {
    case "hourly": return "*-*-* *:00:00"
    case "daily": return "*-*-* 00:00:00"
    case "weekly": return "Mon *-*-* 00:00:00"
    default: return nil
    }
  }

  /// RandomizedDelaySec=: a small share of the period, so an hourly backup still runs within its hour.
  public var randomizedDelaySeconds: Int {
    switch text.lowercased() {
    case "hourly": return 300
    case "daily": return 1800
    case "weekly": return 3600
    default: return 300
    }
  }

  /// The command that checks the expression on a host and prints its normalized form.
  var validationCommand: String { "systemd-analyze calendar \(shellQuote(text))" }

  /// The normalized form from `systemd-analyze calendar` output, or nil when it has none.
  static func normalizedForm(fromAnalyzeOutput output: String) -> String? {
    for line in output.split(separator: "\n") {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("Normalized form:") {
        return trimmed.dropFirst("Normalized form:".count).trimmingCharacters(in: .whitespaces)
      }
    }
    return nil
  }
}

/// Writes a systemd calendar event in its normalized form (`Mon..Fri *-*-* 02:30:00`) as the five fields of a
/// cron line (`30 2 * * 1-5`), for hosts where systemd does not run. Only what cron can express is accepted:
/// whole minutes, any year, no time zone, and not both a day of month and a weekday (cron ORs them, systemd ANDs).
public enum CronSchedule {
  /// The cron fields, or why the expression has no cron equivalent.
  public static func fields(fromNormalized normalized: String) -> Result<String, CronScheduleError> {
    var parts = normalized.split(separator: " ").map(String.init)
    var weekdays = "*"
    if let first = parts.first, first.first?.isLetter == true {
      weekdays = first
      parts.removeFirst()
    }
    guard parts.count == 2 else {
      return .failure(.init(reason: "\"\(normalized)\" has a time zone or an unexpected shape; cron runs in the host's local time"))
    }
    let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    let time = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard date.count == 3, time.count == 3, !parts[0].contains("~") else {
      return .failure(.init(reason: "\"\(normalized)\" uses a date form cron has no equivalent for"))
    }
    guard date[0] == "*" else { return .failure(.init(reason: "cron cannot limit the year (\(date[0]))")) }
    guard time[2] == "00" || time[2] == "0" else {
      return .failure(.init(reason: "cron runs on whole minutes, but the seconds are \(time[2])"))
    }
    do throws(CronScheduleError) {
      let minute = try field(time[1], max: 59, name: "minute")
      let hour = try field(time[0], max: 23, name: "hour")
      let day = try field(date[2], max: 31, name: "day")
      let month = try field(date[1], max: 12, name: "month")
      let weekday = try weekdayField(weekdays)
      if day != "*", weekday != "*" {
        throw CronScheduleError(reason: "cron runs when EITHER the day of month or the weekday matches, systemd when both do")
      }
      return .success("\(minute) \(hour) \(day) \(month) \(weekday)")
    } catch {
      return .failure(error)
    }
  }

  /// One numeric field: `*`, `5`, `1,15`, `1..5`, `00/15`, `1..10/2`.
  static func field(_ text: String, max: Int, name: String) throws(CronScheduleError) -> String {
    if text == "*" { return "*" }
    var items: [String] = []
    for item in text.split(separator: ",").map(String.init) {
      let (rangeText, step) = splitStep(item)
      var range: String
      if rangeText == "*" {
        range = "*"
      } else if let dots = rangeText.range(of: "..") {
        guard let low = Int(rangeText[..<dots.lowerBound]), let high = Int(rangeText[dots.upperBound...]), low <= high, high <= max
        else { throw CronScheduleError(reason: "the \(name) \"\(item)\" is not a range cron can express") }
        range = "\(low)-\(high)"
      } else {
        guard let value = Int(rangeText), value <= max else {
          throw CronScheduleError(reason: "the \(name) \"\(item)\" is not a number cron can express")
        }
        // systemd's `A/S` repeats from A to the end of the field; cron needs the range spelled out.
        range = step == nil ? "\(value)" : (value == 0 ? "*" : "\(value)-\(max)")
      }
      if let step {
        guard let every = Int(step), every > 0 else { throw CronScheduleError(reason: "the \(name) step \"\(step)\" is not a positive number") }
        range += "/\(every)"
      }
      items.append(range)
    }
    return items.joined(separator: ",")
  }

  private static func splitStep(_ item: String) -> (String, String?) {
    guard let slash = item.firstIndex(of: "/") else { return (item, nil) }
    return (String(item[..<slash]), String(item[item.index(after: slash)...]))
  }

  static let weekdayNumbers = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

  /// `Mon`, `Mon..Fri`, `Sat,Sun` as cron numbers (Monday 1 ... Sunday 7; cron takes no lists of names).
  static func weekdayField(_ text: String) throws(CronScheduleError) -> String {
    if text == "*" { return "*" }
    func number(_ name: Substring) throws(CronScheduleError) -> Int {
      guard let value = weekdayNumbers[String(name.prefix(3)).lowercased()] else {
        throw CronScheduleError(reason: "\"\(name)\" is not a weekday")
      }
      return value
    }
    var items: [String] = []
    for item in text.split(separator: ",") {
      if let dots = item.range(of: "..") {
        let low = try number(item[..<dots.lowerBound]), high = try number(item[dots.upperBound...])
        guard low <= high else { throw CronScheduleError(reason: "the weekday range \"\(item)\" wraps around the week; split it in two") }
        items.append("\(low)-\(high)")
      } else {
        items.append(String(try number(item)))
      }
    }
    return items.joined(separator: ",")
  }
}

/// Why a calendar expression cannot be written as a cron line.
public struct CronScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
  public var reason: String
  public var description: String { reason }
}
