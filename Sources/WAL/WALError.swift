// The one error type of the WAL module: every case says what happened, where (file, offset) and what to do.

/// The remedy for a member whose durable state cannot be trusted.
public let walRestoreRemedy =
  "restore this member from a backup, or remove it from the cluster and add it back with an empty data dir"

/// Everything that can go wrong in the WAL module.
public enum WALError: Error, Sendable, Hashable, CustomStringConvertible {
  /// A system call failed (`operation` on `path`, with `errno` and its text).
  case io(operation: String, path: String, errno: Int32, message: String)
  /// The simulated file system lost power (tests only): every later call fails until `crash()` is taken.
  case simulatedCrash(path: String)
  /// Another process (or another open in this one) holds the lock on the data dir.
  case locked(path: String)
  /// A damaged record that is not a torn tail: recovery refuses to use the log.
  case corrupt(file: String, offset: Int, reason: String)
  /// The WAL holds no snapshot marker matching the snapshot being opened.
  case snapshotNotFound(directory: String, index: UInt64, term: UInt64)
  /// The WAL directory lacks a segment the sequence needs, or holds a file named like a segment but not parseable.
  case badSegmentSet(directory: String, reason: String)
  /// There is no WAL where one was expected.
  case notFound(path: String)
  /// A WAL already exists where a new one was to be created.
  case alreadyExists(path: String)
  /// A snapshot file failed its checksum or could not be decoded.
  case corruptSnapshot(file: String, reason: String)
  /// The log is closed, or an earlier write failed so its tail is unknown; reopen it to recover.
  case unusable(reason: String)
  /// A caller asked for something the log cannot do (e.g. a snapshot older than the current one).
  case invalidArgument(String)

  public var description: String {
    switch self {
    case let .io(operation, path, errno, message):
      return "\(operation) \(path) failed: \(message) (errno \(errno)); check the disk (space, permissions, health) "
        + "and restart"
    case let .simulatedCrash(path):
      return "simulated power loss during an operation on \(path); take SimulatedFileSystem.crash() and reopen"
    case let .locked(path):
      return "data dir \(path) is in use by another process (its lock is held); stop the other swetcd using it, "
        + "or point this one at a different --data-dir"
    case let .corrupt(file, offset, reason):
      return "WAL file \(file) is corrupt at byte offset \(offset): \(reason); refusing to start. "
        + walRestoreRemedy.prefix(1).uppercased() + walRestoreRemedy.dropFirst()
    case let .snapshotNotFound(directory, index, term):
      return "WAL in \(directory) has no snapshot marker for index \(index) term \(term) (segments missing or "
        + "removed); " + walRestoreRemedy
    case let .badSegmentSet(directory, reason):
      return "WAL segments in \(directory) are inconsistent: \(reason); do not delete or rename WAL files by hand; "
        + walRestoreRemedy
    case let .notFound(path):
      return "no WAL at \(path); create one (new member) or point --data-dir / --wal-dir at the right directory"
    case let .alreadyExists(path):
      return "a WAL already exists at \(path); open it instead of creating one, or move it away first"
    case let .corruptSnapshot(file, reason):
      return "snapshot file \(file) is corrupt: \(reason); it is renamed .broken and an older snapshot is used; "
        + "if none is usable, " + walRestoreRemedy
    case let .unusable(reason):
      return "the WAL cannot be written: \(reason); stop and restart the member so recovery repairs the tail"
    case let .invalidArgument(message):
      return "invalid WAL request: \(message)"
    }
  }
}
