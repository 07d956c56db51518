import Foundation

/// The `yyyyMMdd'T'HHmmss'Z'` UTC time stamp in backup file names and moved-aside folder names.
enum UTCStamp {
  static let formatter: DateFormatter = {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return formatter
  }()

  static func string(_ date: Date = Date()) -> String { formatter.string(from: date) }
  static func date(_ text: String) -> Date? { formatter.date(from: text) }
}
