// The unit the backend stores: one change to one key at one revision (a row of the `kv` table).

/// One change as stored: the key-value written at `revision`, or a tombstone (a delete) of `kv.key`.
public struct StoredRevision: Hashable, Sendable {
  /// Where the change sits in the history.
  public var revision: Revision
  /// The key-value after the change. For a tombstone: the key, `modRevision == revision.main`, everything else 0.
  public var kv: KeyValue
  /// True when the change deleted the key.
  public var tombstone: Bool

  /// Creates a stored change.
  public init(revision: Revision, kv: KeyValue, tombstone: Bool) {
    self.revision = revision
    self.kv = kv
    self.tombstone = tombstone
  }

  /// The change as watchers see it.
  public var event: Event { Event(kind: tombstone ? .delete : .put, kv: kv) }
}

/// The Raft position the backend's state reflects: the last applied entry's index and term. Written in the same
/// transaction as the changes of that entry, so after a crash the server re-applies exactly the entries after it.
public struct ConsistentIndex: Hashable, Sendable, CustomStringConvertible {
  /// The index of the last applied Raft entry.
  public var index: UInt64
  /// The term of that entry.
  public var term: UInt64

  /// Creates a consistent index.
  public init(index: UInt64, term: UInt64) {
    self.index = index
    self.term = term
  }

  public var description: String { "\(index)@\(term)" }
}

extension Revision {
  /// Sub revisions per main revision the backend can store (2^24: one transaction changes at most 16,777,215 keys).
  static let subLimit: Int64 = 1 << 24

  /// The row's key in the `kv` table: `main << 24 | sub`, ordered as revisions are.
  var rowID: Int64 { main << 24 | sub }

  /// The first row ID after every change with main revision <= `main` (huge bounds clamp to the largest storable).
  static func rowIDBound(after main: Int64) -> Int64 { Revision(main: min(main, (1 << 38) - 1) + 1).rowID }
}
