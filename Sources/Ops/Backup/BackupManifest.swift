import Foundation

/// The JSON written beside every backup (`<backup>.json`): what was saved, from where, and its checksums.
public struct BackupManifest: Codable, Sendable, Hashable {
  public struct MemberRecord: Codable, Sendable, Hashable {
    public var name: String
    public var id: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool
  }

  public var cluster: String
  public var server: String
  /// ISO 8601 UTC.
  public var created: String
  /// The snapshot file's name (in the same folder).
  public var file: String
  public var revision: Int64
  /// Name and hex ID of the member the snapshot came from.
  public var takenFrom: String
  public var takenFromID: String
  public var members: [MemberRecord]
  /// Server version reported by each member.
  public var versions: [String: String]
  /// SHA-256 of the database (the stream's trailer, also at the end of the file).
  public var databaseSHA256: String
  public var databaseBytes: Int
  /// SHA-256 of the whole file as written, to check it later.
  public var fileSHA256: String
  public var fileBytes: Int
  /// Set when `--verify` restored it into a scratch data dir: etcdctl's TOTAL KEYS (stored revisions of keys).
  public var verifiedKeys: Int?
  /// Live keys at `revision`, counted on the source member; restores are checked against it.
  public var keys: Int64?
  /// The source member's HashKV at `revision`; a restored member must give the same.
  public var hashKV: UInt32?

  /// The manifest beside a snapshot: the same name with `.json` for its `.db` suffix (only the suffix: a folder
  /// named `x.db-backups` stays as it is).
  public static func path(forSnapshot snapshot: String) -> String {
    (snapshot.hasSuffix(".db") ? String(snapshot.dropLast(3)) : snapshot) + ".json"
  }

  /// The manifest as written beside the snapshot.
  public func encoded() throws -> Data { try ManifestJSON.encode(self) }
}

/// The JSON form of every manifest written beside a backup (snapshot or data-dir archive): pretty-printed with
/// sorted keys and unescaped slashes, so manifests diff and read well.
enum ManifestJSON {
  static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
  }
}

/// Which backups to delete: beyond the newest `keep`, and older than `maxAge`; never the newest one.
public enum BackupRetention {
  /// - Parameter backups: file names like `<cluster>-20261122T015012Z-rev42.db`.
  public static func expired(_ backups: [String], cluster: String, keep: Int?, maxAge: TimeInterval?, now: Date) -> [String] {
    let dated = backups.compactMap { name -> (String, Date)? in
      guard let date = timestamp(in: name, cluster: cluster) else { return nil }
      return (name, date)
    }.sorted { $0.1 > $1.1 }
    guard !dated.isEmpty else { return [] }
    var doomed: [String] = []
    for (index, (name, date)) in dated.enumerated() where index > 0 {
      if let keep, index >= keep { doomed.append(name); continue }
      if let maxAge, now.timeIntervalSince(date) > maxAge { doomed.append(name) }
    }
    return doomed
  }

  /// `<cluster>-<yyyyMMdd'T'HHmmss'Z'>-rev<R>.db` for `date`.
  public static func fileName(cluster: String, date: Date, revision: Int64) -> String {
    "\(cluster)-\(UTCStamp.string(date))-rev\(revision).db"
  }

  static func timestamp(in name: String, cluster: String) -> Date? {
    let prefix = "\(cluster)-"
    guard name.hasPrefix(prefix), name.hasSuffix(".db") else { return nil }
    let rest = name.dropFirst(prefix.count)
    guard let dash = rest.firstIndex(of: "-"), rest[dash...].hasPrefix("-rev") else { return nil }
    return UTCStamp.date(String(rest[..<dash]))
  }
}
