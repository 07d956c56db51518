// SimulatedFileSystem's FileSystem conformance: namespace changes go to a journal made durable by syncDirectory;
// file content has a current and a durable copy, made equal by sync/dataSync.

extension SimulatedFileSystem {
  public func createDirectory(_ path: String, permissions: UInt32) throws {
    try namespaceChange(path) { s in
      try requireDirectory(s, parentDirectory(of: path), "mkdir")
      if s.namespace[path] != nil { throw WALError.io(operation: "mkdir", path: path, errno: 17, message: "File exists") }
      Self.record(&s, .put(path, .directory(permissions)), directory: parentDirectory(of: path))
    }
  }

  public func listDirectory(_ path: String) throws -> [String] {
    try state.withLock { s in
      try requireDirectory(s, path, "opendir")
      let prefix = Self.childPrefix(path)
      return s.namespace.keys.compactMap { key -> String? in
        guard key != path, key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        return rest.contains("/") ? nil : String(rest)
      }
    }
  }

  public func stat(_ path: String) throws -> FileStatus? {
    state.withLock { s in
      switch s.namespace[path] {
      case nil: return nil
      case .directory(let permissions): return FileStatus(size: 0, permissions: permissions, isDirectory: true)
      case .file(let id):
        let inode = s.inodes[id]!
        return FileStatus(size: inode.current.count, permissions: inode.permissions, isDirectory: false)
      }
    }
  }

  public func openForWriting(_ path: String, create: Bool, permissions: UInt32) throws -> any WritableFile {
    let existing: Int? = state.withLock { s in
      if case .file(let id) = s.namespace[path] { return id }
      return nil
    }
    if let existing { return SimulatedFile(fs: self, inode: existing, path: path) }
    guard create else { throw Self.missing("open", path) }
    var id = 0
    try namespaceChange(path) { s in
      try requireDirectory(s, parentDirectory(of: path), "open")
      id = s.nextInode
      s.nextInode += 1
      s.inodes[id] = Inode(permissions: permissions)
      Self.record(&s, .put(path, .file(id)), directory: parentDirectory(of: path))
    }
    return SimulatedFile(fs: self, inode: id, path: path)
  }

  public func readFile(_ path: String) throws -> [UInt8] {
    try state.withLock { s in
      guard case .file(let id) = s.namespace[path] else { throw Self.missing("open", path) }
      return s.inodes[id]!.current
    }
  }

  public func rename(_ from: String, _ to: String) throws {
    try namespaceChange(from) { s in
      guard s.namespace[from] != nil else { throw Self.missing("rename", from) }
      try requireDirectory(s, parentDirectory(of: to), "rename")
      Self.record(&s, .rename(from, to), directory: parentDirectory(of: to))
    }
  }

  public func remove(_ path: String) throws {
    try namespaceChange(path) { s in
      guard let node = s.namespace[path] else { throw Self.missing("remove", path) }
      if case .directory = node {
        let prefix = Self.childPrefix(path)
        if s.namespace.keys.contains(where: { $0.hasPrefix(prefix) && $0 != path }) {
          throw WALError.io(operation: "remove", path: path, errno: 39, message: "Directory not empty")
        }
      }
      Self.record(&s, .remove(path), directory: parentDirectory(of: path))
    }
  }

  public func syncDirectory(_ path: String) throws {
    try namespaceChange(path) { s in
      try requireDirectory(s, path, "fsync directory")
      s.syncs += 1
      for i in s.journal.indices where s.journal[i].directory == path { s.journal[i].durable = true }
      // Fold the durable prefix into the base so the journal stays short.
      var folded = 0
      while folded < s.journal.count, s.journal[folded].durable {
        Self.apply(s.journal[folded].op, to: &s.base)
        folded += 1
      }
      s.journal.removeFirst(folded)
    }
  }

  public func lock(_ path: String) throws -> any FileLock {
    try state.withLock { s in
      if s.crashed { throw WALError.simulatedCrash(path: path) }
      if s.locks.contains(path) { throw WALError.locked(path: parentDirectory(of: path)) }
      s.locks.insert(path)
    }
    return SimulatedLock(fs: self, path: path)
  }

  /// Applies a content change to an inode; at the crash point, applies it torn (per sector) and throws.
  func mutateFile(_ id: Int, _ path: String, _ body: (inout [UInt8]) -> Void) throws {
    try state.withLock { s in
      guard s.inodes[id] != nil else { throw Self.missing("write", path) }
      guard try Self.tick(&s, path) else {
        // In place: no copy of the file per write.
        body(&s.inodes[id]!.current)
        return
      }
      let old = s.inodes[id]!.current
      var updated = old
      body(&updated)
      s.inodes[id]!.current = Self.tear(durable: old, current: updated, rng: &s.rng)
      throw WALError.simulatedCrash(path: path)
    }
  }

  func syncFile(_ id: Int, _ path: String) throws {
    try state.withLock { s in
      if try Self.tick(&s, path) { throw WALError.simulatedCrash(path: path) }
      s.syncs += 1
      s.inodes[id]!.durable = s.inodes[id]!.current
    }
  }
}

/// A handle on a simulated inode (it follows renames, like a descriptor).
final class SimulatedFile: WritableFile {
  let fs: SimulatedFileSystem
  let inode: Int
  let path: String

  init(fs: SimulatedFileSystem, inode: Int, path: String) {
    self.fs = fs
    self.inode = inode
    self.path = path
  }

  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
    try fs.mutateFile(inode, path) { content in
      if content.count < offset + bytes.count {
        content.append(contentsOf: repeatElement(0, count: offset + bytes.count - content.count))
      }
      content.withUnsafeMutableBytes { dst in
        UnsafeMutableRawBufferPointer(rebasing: dst[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
      }
    }
  }

  func sync() throws { try fs.syncFile(inode, path) }
  func dataSync() throws { try fs.syncFile(inode, path) }

  func truncate(to size: Int) throws {
    try fs.mutateFile(inode, path) { content in
      if content.count > size {
        content.removeSubrange(size...)
      } else {
        content.append(contentsOf: repeatElement(0, count: size - content.count))
      }
    }
  }

  func preallocate(to size: Int) throws {
    try fs.mutateFile(inode, path) { content in
      if content.count < size { content.append(contentsOf: repeatElement(0, count: size - content.count)) }
    }
  }

  func size() throws -> Int {
    fs.state.withLock { $0.inodes[inode]?.current.count ?? 0 }
  }

  func close() {}
}

/// A lock held in a simulated file system.
final class SimulatedLock: FileLock, @unchecked Sendable {
  let fs: SimulatedFileSystem
  let path: String
  private var held = true

  init(fs: SimulatedFileSystem, path: String) {
    self.fs = fs
    self.path = path
  }

  func unlock() {
    if held {
      held = false
      _ = fs.state.withLock { $0.locks.remove(path) }
    }
  }

  deinit { unlock() }
}
