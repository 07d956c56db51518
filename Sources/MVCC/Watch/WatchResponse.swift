// What a watch stream says to its client, and what a client asks of it (etcd's WatchCreateRequest and WatchResponse,
// without the protobuf: the API layer converts).

/// Which kinds of event a watcher does not want (etcd's `WatchCreateRequest.filters`).
public struct WatchFilters: OptionSet, Hashable, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// Drop put events (etcd's `NOPUT`).
  public static let noPut = WatchFilters(rawValue: 1)
  /// Drop delete events (etcd's `NODELETE`).
  public static let noDelete = WatchFilters(rawValue: 2)

  /// Whether the filter drops `event`.
  @inline(__always)
  func drops(_ event: Event) -> Bool {
    switch event.kind {
    case .put: return contains(.noPut)
    case .delete: return contains(.noDelete)
    }
  }
}

/// A request to create one watcher on a stream (the fields of etcd's `WatchCreateRequest`).
public struct WatchCreateRequest: Hashable, Sendable {
  /// The keys to watch (one key, an interval, a prefix or everything from a key on).
  public var range: KeyRange
  /// The first revision to report; 0 means "changes after now" (current revision + 1).
  public var startRevision: Int64
  /// Whether the watcher wants a periodic empty response carrying the current revision when it got nothing else.
  public var progressNotify: Bool
  /// Kinds of event to leave out.
  public var filters: WatchFilters
  /// Whether events carry the key's previous value.
  public var prevKV: Bool
  /// The watch ID the client wants; 0 lets the stream choose the lowest free one.
  public var watchID: Int64
  /// Whether a response larger than the stream's byte limit may be split into fragments.
  public var fragment: Bool

  /// Creates a request.
  public init(
    range: KeyRange, startRevision: Int64 = 0, progressNotify: Bool = false, filters: WatchFilters = [],
    prevKV: Bool = false, watchID: Int64 = 0, fragment: Bool = false
  ) {
    self.range = range
    self.startRevision = startRevision
    self.progressNotify = progressNotify
    self.filters = filters
    self.prevKV = prevKV
    self.watchID = watchID
    self.fragment = fragment
  }
}

/// One message of a watch stream (etcd's `WatchResponse`; `revision` becomes the header's revision).
///
/// Kinds, as clients tell them apart: created (`created`), canceled (`canceled`, with `compactRevision` when the
/// start revision was compacted, or `cancelReason`), events (non-empty `events`), progress (no events, not created,
/// not canceled, `revision` set; `watchID == -1` answers a stream-wide progress request).
public struct WatchResponse: Hashable, Sendable {
  /// The watcher this response is for (-1 for a stream-wide progress response or a failed create).
  public var watchID: Int64
  /// Answers a create request.
  public var created: Bool
  /// The watcher is gone (canceled by the client, refused at creation, or its start revision was compacted).
  public var canceled: Bool
  /// The compacted revision, when the watcher was canceled because its start revision was compacted.
  public var compactRevision: Int64
  /// Why a create was refused (etcd's exact strings).
  public var cancelReason: String
  /// More fragments of the same response follow.
  public var fragment: Bool
  /// The changes, in revision order.
  public var events: [Event]
  /// The store revision this response reflects (the header's revision).
  public var revision: Int64

  /// Delivery hints set by the hub and consumed by the stream before the client sees the response.
  var wantsPrevKV: Bool = false
  var fragmentable: Bool = false

  /// Creates a response.
  public init(
    watchID: Int64, created: Bool = false, canceled: Bool = false, compactRevision: Int64 = 0,
    cancelReason: String = "", fragment: Bool = false, events: [Event] = [], revision: Int64
  ) {
    self.watchID = watchID
    self.created = created
    self.canceled = canceled
    self.compactRevision = compactRevision
    self.cancelReason = cancelReason
    self.fragment = fragment
    self.events = events
    self.revision = revision
  }

  /// True for a progress notification: no events, neither created nor canceled (etcd's `IsProgressNotify`).
  public var isProgressNotify: Bool {
    events.isEmpty && !created && !canceled && compactRevision == 0 && revision != 0
  }
}

/// etcd's cancel reasons for refused creates.
enum WatchCancelReason {
  static let emptyRange = "mvcc: watcher range is empty"
  static let duplicateID = "mvcc: duplicate watch ID provided on the WatchStream"
  static let negativeID = "mvcc: watch ID must not be negative"
}
