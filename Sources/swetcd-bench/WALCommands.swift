// `swetcd-bench wal` (WAL append throughput with group commit) and `swetcd-bench wal-writer` (the child process of
// the kill -9 test: appends with fsync and prints every acknowledged index).
import ArgumentParser
import Raft
import WAL

#if canImport(Glibc)
  import Glibc
#endif

/// Appends entries to a WAL on disk in batches, one fsync per batch, and reports entries/s, MB/s and fsyncs/s.
struct WALBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wal",
    abstract: "Measure WAL appends: entries/s, MB/s and fsyncs/s with group commit (one fsync per batch).",
    discussion: """
      Creates a fresh WAL in --dir (which must not hold one) and saves --count entries of --size bytes in batches \
      of --batch entries, each batch one write and one fdatasync (as a Raft Ready batch). Build with -c release.
      """
  )

  @Option(help: "Directory for the WAL (created; must not already hold a WAL).")
  var dir: String

  @Option(help: "Number of entries.")
  var count: Int = 100_000

  @Option(help: "Payload size of each entry in bytes.")
  var size: Int = 256

  @Option(help: "Entries per batch (one write + one fsync each).")
  var batch: Int = 64

  @Option(help: "Segment size in bytes.")
  var segmentSize: Int = 64 << 20

  @Flag(help: "Skip fsync (measures the encoder and write path alone).")
  var unsafeNoFsync = false

  func validate() throws {
    guard count > 0, size >= 0, batch > 0, segmentSize >= 4096 else {
      throw ValidationError("need --count > 0, --size >= 0, --batch > 0, --segment-size >= 4096")
    }
  }

  func run() throws {
    let options = WALOptions(segmentSize: segmentSize, unsafeNoFsync: unsafeNoFsync)
    let wal = try WriteAheadLog.create(
      fs: PosixFileSystem(), directory: dir, metadata: WALMetadata(memberID: 1, clusterID: 1), options: options)
    let payload = [UInt8](repeating: 0x61, count: size)
    var entries: [Entry] = []
    entries.reserveCapacity(batch)
    let clock = ContinuousClock()
    let start = clock.now
    var index: UInt64 = 0
    while index < UInt64(count) {
      entries.removeAll(keepingCapacity: true)
      for _ in 0..<min(batch, count - Int(index)) {
        index += 1
        entries.append(Entry(term: 1, index: index, data: payload))
      }
      try wal.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: entries, mustSync: true)
    }
    let seconds = BenchFormat.seconds(clock.now - start)
    try wal.close()
    let mb = Double(count * size) / 1e6
    print("wal: \(count) entries x \(size) B, batch \(batch)\(unsafeNoFsync ? " (no fsync)" : "") in \(fmt(seconds)) s")
    print("entries/s: \(fmt(Double(count) / seconds))  MB/s: \(fmt(mb / seconds))  "
      + "fsyncs/s: \(fmt(Double(wal.fsyncCount) / seconds))  fsyncs: \(wal.fsyncCount)  "
      + "segments: \(wal.segmentNames.count)")
    let reopenStart = clock.now
    let (_, recovery) = try WriteAheadLog.open(fs: PosixFileSystem(), directory: dir, options: options)
    let reopenSeconds = BenchFormat.seconds(clock.now - reopenStart)
    print("recovery: \(recovery.entries.count) entries replayed in \(fmt(reopenSeconds)) s "
      + "(\(fmt(Double(recovery.entries.count) / reopenSeconds)) entries/s)")
  }

  private func fmt(_ v: Double) -> String { BenchFormat.fixed(v, 2) }
}

/// Opens (or creates) a data dir and appends entries one Ready at a time with fsync, printing "ack <index>" (flushed)
/// after each persist returns; runs until --count entries (0 = until killed).
struct WALWriter: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wal-writer",
    abstract: "Append entries to a data dir's WAL with fsync, printing each acknowledged index (crash tests).")

  @Option(help: "Data directory.")
  var dir: String

  @Option(help: "Entries to write (0 = until killed).")
  var count: Int = 0

  @Option(help: "Payload size in bytes.")
  var size: Int = 100

  @Option(help: "Entries per Ready batch.")
  var batch: Int = 1

  @Option(help: "Segment size in bytes (small values exercise segment cuts).")
  var segmentSize: Int = 64 << 20

  func run() throws {
    let options = DataDirOptions(wal: WALOptions(segmentSize: segmentSize))
    let disk = try DiskRaftStorage(
      fs: PosixFileSystem(), dataDirectory: dir, metadata: WALMetadata(memberID: 1, clusterID: 1), options: options,
      log: { writeLine(2, $0) })
    var index = disk.storage.lastIndex()
    let first = index
    while count == 0 || index - first < UInt64(count) {
      var entries: [Entry] = []
      for _ in 0..<batch {
        index += 1
        // The payload names its index so the reader can check content, not just presence.
        let tag = Array("entry-\(index)-".utf8)
        entries.append(Entry(term: 1, index: index, data: tag + [UInt8](repeating: 0x62, count: max(0, size - tag.count))))
      }
      try disk.persist(Ready(hardState: HardState(term: 1, vote: 1, commit: index), entries: entries, mustSync: true))
      writeLine(1, "ack \(index)")
    }
    try disk.close()
  }
}

/// Writes one line straight to a file descriptor (unbuffered: a SIGKILL right after loses nothing printed).
func writeLine(_ fd: Int32, _ text: String) {
  let line = Array((text + "\n").utf8)
  line.withUnsafeBytes { raw in
    var done = 0
    while done < raw.count {
      let n = write(fd, raw.baseAddress! + done, raw.count - done)
      if n <= 0 { return }
      done += n
    }
  }
}
