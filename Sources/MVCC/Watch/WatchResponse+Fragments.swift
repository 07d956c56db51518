// The protobuf-encoded size of a watch response (etcdserverpb.WatchResponse, mvccpb.Event, mvccpb.KeyValue field
// numbers) and etcd's rule for splitting one that is too large into fragments.

extension WatchResponse {
  /// The number of bytes this response takes on the wire as etcd's `WatchResponse`, with a response header of
  /// `headerBytes` bytes (its encoded body: cluster_id, member_id, revision, raft_term).
  public func encodedSize(headerBytes: Int) -> Int {
    envelopeSize(headerBytes: headerBytes, fragment: fragment) + events.reduce(0) { $0 + Self.eventFieldSize($1) }
  }

  /// Splits the response into fragments whose encoded size stays below `limit` bytes, as etcd does: every fragment
  /// holds at least one event, all but the last have `fragment == true`. A response within the limit comes back
  /// whole.
  public func fragments(limit: Int, headerBytes: Int) -> [WatchResponse] {
    guard events.count > 1, encodedSize(headerBytes: headerBytes) > limit else { return [self] }
    var template = self
    template.events = []
    template.fragment = true
    let envelope = envelopeSize(headerBytes: headerBytes, fragment: true)
    var result: [WatchResponse] = []
    var current = template
    var size = envelope
    for event in events {
      let eventSize = Self.eventFieldSize(event)
      if !current.events.isEmpty && size + eventSize >= limit {
        result.append(current)
        current = template
        size = envelope
      }
      current.events.append(event)
      size += eventSize
    }
    current.fragment = false
    result.append(current)
    return result
  }

  /// Every field but the events.
  private func envelopeSize(headerBytes: Int, fragment: Bool) -> Int {
    var size = Self.lengthDelimitedSize(headerBytes)
    if watchID != 0 { size += 1 + Self.varintSize(watchID) }
    if created { size += 2 }
    if canceled { size += 2 }
    if compactRevision != 0 { size += 1 + Self.varintSize(compactRevision) }
    if !cancelReason.isEmpty { size += Self.lengthDelimitedSize(cancelReason.utf8.count) }
    if fragment { size += 2 }
    return size
  }

  /// An event as a repeated field 11 of the response: tag, length, body.
  private static func eventFieldSize(_ event: Event) -> Int {
    var body = event.kind == .delete ? 2 : 0
    body += lengthDelimitedSize(keyValueSize(event.kv))
    if let prev = event.prevKV { body += lengthDelimitedSize(keyValueSize(prev)) }
    return lengthDelimitedSize(body)
  }

  private static func keyValueSize(_ kv: KeyValue) -> Int {
    var size = 0
    if !kv.key.isEmpty { size += lengthDelimitedSize(kv.key.count) }
    if kv.createRevision != 0 { size += 1 + varintSize(kv.createRevision) }
    if kv.modRevision != 0 { size += 1 + varintSize(kv.modRevision) }
    if kv.version != 0 { size += 1 + varintSize(kv.version) }
    if !kv.value.isEmpty { size += lengthDelimitedSize(kv.value.count) }
    if kv.lease != 0 { size += 1 + varintSize(kv.lease) }
    return size
  }

  /// A one-byte tag, the length as a varint, and the bytes.
  @inline(__always)
  private static func lengthDelimitedSize(_ length: Int) -> Int { 1 + varintSize(Int64(length)) + length }

  /// Bytes of a protobuf varint (negative int64 values take ten).
  @inline(__always)
  static func varintSize(_ value: Int64) -> Int {
    guard value > 0 else { return value == 0 ? 1 : 10 }
    let bits = 64 - UInt64(value).leadingZeroBitCount
    return (bits + 6) / 7
  }
}
