// An in-memory file system that loses power on demand: un-synced writes land torn (per 512-byte sector), directory
// entries survive only once their directory is fsynced (or, as ext4 may, an ordered prefix of the later ones).
// Deterministic from a seed, so every failing crash point can be replayed.

import Raft
import Synchronization

/// A fault-injecting in-memory `FileSystem` for crash tests (public so server tests can use it too).
public final class SimulatedFileSystem: FileSystem {
  /// The torn-write granularity.
  public static let sectorSize = 512

  enum Node: Hashable {
    case file(Int)
    case directory(UInt32)
  }

  enum NamespaceOp {
    case put(String, Node)
    case remove(String)
    case rename(String, String)
  }

  struct JournalItem {
    var op: NamespaceOp
    var directory: String
    var durable: Bool
  }

  struct Inode {
    var current: [UInt8] = []
    var durable: [UInt8] = []
    var permissions: UInt32
  }

  struct State {
    var rng: SplitMix64
    var inodes: [Int: Inode] = [:]
    var nextInode = 1
    var namespace: [String: Node] = ["/": .directory(0o755)]
    var base: [String: Node] = ["/": .directory(0o755)]
    var journal: [JournalItem] = []
    var locks: Set<String> = []
    var operations = 0
    var crashAt: Int?
    var crashed = false
    var syncs = 0
  }

  let state: Mutex<State>

  /// Creates an empty file system (only "/" exists) whose random choices follow `seed`.
  public init(seed: UInt64) {
    state = Mutex(State(rng: SplitMix64(seed: seed)))
  }

  init(state: State) { self.state = Mutex(state) }

  // MARK: Fault control

  /// Makes the `n`-th mutating operation from now (1 = the next) land partially (torn) and throw
  /// `WALError.simulatedCrash`; every later operation throws too, until `crash()`.
  public func scheduleCrash(afterOperations n: Int) {
    state.withLock { $0.crashAt = $0.operations + n }
  }

  /// File and directory fsyncs performed so far.
  public var syncCount: Int { state.withLock { $0.syncs } }

  /// The file system a power loss leaves now: durable content, un-synced writes kept or lost per 512-byte sector at
  /// random, directory entries as last synced plus a random ordered prefix of the later changes. Locks are gone.
  public func crash() -> SimulatedFileSystem {
    state.withLock { s in
      var rng = s.rng
      let cut = s.journal.isEmpty ? 0 : Int(rng.next() % UInt64(s.journal.count + 1))
      var names = s.base
      for (i, item) in s.journal.enumerated() where item.durable || i < cut { Self.apply(item.op, to: &names) }
      var inodes: [Int: Inode] = [:]
      for case .file(let id) in names.values where inodes[id] == nil {
        guard let inode = s.inodes[id] else { continue }
        let content = Self.tear(durable: inode.durable, current: inode.current, rng: &rng)
        inodes[id] = Inode(current: content, durable: content, permissions: inode.permissions)
      }
      var fresh = State(rng: SplitMix64(seed: rng.next()))
      fresh.inodes = inodes
      fresh.nextInode = s.nextInode
      fresh.namespace = names
      fresh.base = names
      return SimulatedFileSystem(state: fresh)
    }
  }

  static func tear(durable: [UInt8], current: [UInt8], rng: inout SplitMix64) -> [UInt8] {
    if durable == current { return durable }
    let length = durable.count == current.count ? current.count : (rng.next() & 1 == 0 ? durable.count : current.count)
    var out = [UInt8](repeating: 0, count: length)
    var start = 0
    while start < length {
      let end = min(start + sectorSize, length)
      let useNew = rng.next() & 1 == 0
      for i in start..<end {
        let d: UInt8 = i < durable.count ? durable[i] : 0
        let c: UInt8 = i < current.count ? current[i] : 0
        out[i] = useNew ? c : d
      }
      start = end
    }
    return out
  }

  // MARK: Corruption helpers (act on durable and current content alike: damage at rest)

  /// Flips bit `bit` (0-7) of the byte at `offset` of a file.
  public func flipBit(_ path: String, offset: Int, bit: Int) throws {
    try mutateAtRest(path) { $0[offset] ^= UInt8(1 << bit) }
  }

  /// Cuts a file to `size` bytes.
  public func truncateAtRest(_ path: String, to size: Int) throws {
    try mutateAtRest(path) { $0.removeSubrange(min(size, $0.count)...) }
  }

  /// Overwrites bytes of a file at `offset`.
  public func overwriteAtRest(_ path: String, offset: Int, with bytes: [UInt8]) throws {
    try mutateAtRest(path) { content in
      if content.count < offset + bytes.count { content += [UInt8](repeating: 0, count: offset + bytes.count - content.count) }
      content.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
  }

  /// Sets a directory's or file's permission bits.
  public func setPermissions(_ path: String, _ permissions: UInt32) throws {
    try state.withLock { s in
      switch s.namespace[path] {
      case .file(let id): s.inodes[id]?.permissions = permissions
      case .directory: s.namespace[path] = .directory(permissions); s.base[path] = .directory(permissions)
      case nil: throw Self.missing("chmod", path)
      }
    }
  }

  private func mutateAtRest(_ path: String, _ body: (inout [UInt8]) -> Void) throws {
    try state.withLock { s in
      guard case .file(let id) = s.namespace[path], var inode = s.inodes[id] else { throw Self.missing("open", path) }
      body(&inode.current)
      body(&inode.durable)
      s.inodes[id] = inode
    }
  }

  // MARK: Internals

  static func missing(_ operation: String, _ path: String) -> WALError {
    .io(operation: operation, path: path, errno: 2, message: "No such file or directory")
  }

  static func childPrefix(_ dir: String) -> String { dir == "/" ? "/" : dir + "/" }

  static func apply(_ op: NamespaceOp, to names: inout [String: Node]) {
    switch op {
    case let .put(path, node): names[path] = node
    case let .remove(path): names[path] = nil
    case let .rename(from, to):
      guard let node = names.removeValue(forKey: from) else { return }
      names[to] = node
      if case .directory = node {
        let prefix = childPrefix(from)
        for key in names.keys where key.hasPrefix(prefix) {
          names[childPrefix(to) + key.dropFirst(prefix.count)] = names.removeValue(forKey: key)
        }
      }
    }
  }

  /// Counts a mutating operation; returns true when it is the scheduled crash point.
  static func tick(_ s: inout State, _ path: String) throws -> Bool {
    if s.crashed { throw WALError.simulatedCrash(path: path) }
    s.operations += 1
    if let at = s.crashAt, s.operations >= at {
      s.crashed = true
      return true
    }
    return false
  }

  static func record(_ s: inout State, _ op: NamespaceOp, directory: String) {
    apply(op, to: &s.namespace)
    s.journal.append(JournalItem(op: op, directory: directory, durable: false))
  }

  /// Runs a namespace change; at the crash point it happens or not at random, then throws.
  func namespaceChange(_ path: String, _ body: (inout State) throws -> Void) throws {
    try state.withLock { s in
      if try Self.tick(&s, path) {
        if s.rng.next() & 1 == 0 { try body(&s) }
        throw WALError.simulatedCrash(path: path)
      }
      try body(&s)
    }
  }

  func requireDirectory(_ s: State, _ path: String, _ operation: String) throws {
    guard case .directory = s.namespace[path] else { throw Self.missing(operation, path) }
  }
}
