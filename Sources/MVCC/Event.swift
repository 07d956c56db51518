// A change to one key, as watchers receive it (etcd's mvccpb.Event).

/// One change to one key: a put or a delete at `kv.modRevision`.
public struct Event: Hashable, Sendable {
  /// What happened to the key.
  public enum Kind: Hashable, Sendable {
    /// The key was created or updated; `kv` holds the new value.
    case put
    /// The key was deleted; `kv` holds only the key and `modRevision` (the revision of the delete).
    case delete
  }

  /// What happened.
  public var kind: Kind
  /// The key-value after the change (for a delete: key and modRevision only, as etcd sends it).
  public var kv: KeyValue
  /// The key-value before the change, when the watcher asked for it and it exists.
  public var prevKV: KeyValue?

  /// Creates an event.
  public init(kind: Kind, kv: KeyValue, prevKV: KeyValue? = nil) {
    self.kind = kind
    self.kv = kv
    self.prevKV = prevKV
  }
}
