// A key's value at one revision, as clients see it (etcd's mvccpb.KeyValue).

/// One version of a key (the fields of etcd's `mvccpb.KeyValue`).
public struct KeyValue: Hashable, Sendable {
  /// The key.
  public var key: [UInt8]
  /// The main revision of the change that created the key (in its current generation).
  public var createRevision: Int64
  /// The main revision of the change that last modified the key.
  public var modRevision: Int64
  /// How many times the key was written in its current generation (1 after creation; a delete resets it).
  public var version: Int64
  /// The value.
  public var value: [UInt8]
  /// The lease attached to the key (0 for none).
  public var lease: Int64

  /// Creates a key-value.
  public init(key: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, value: [UInt8], lease: Int64 = 0) {
    self.key = key
    self.createRevision = createRevision
    self.modRevision = modRevision
    self.version = version
    self.value = value
    self.lease = lease
  }
}
