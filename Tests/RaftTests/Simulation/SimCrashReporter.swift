// If the Raft module traps (a precondition or an index out of range) the test process dies before any Issue can be
// recorded; this handler prints the seeds that were running so the crash can be replayed with RAFT_SIM_SEED.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum SimCrashReporter {
  static let maxWorkers = 64
  /// Per worker: seed and node count of the run in progress (0 when idle). Written by one worker each, read only by
  /// the signal handler.
  nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UInt64> = {
    let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * maxWorkers)
    p.initialize(repeating: 0, count: 2 * maxWorkers)
    return p
  }()
  nonisolated(unsafe) private static var installed = false

  static func running(seed: UInt64, nodes: Int, worker: Int) {
    guard worker >= 0 && worker < maxWorkers else { return }
    slots[2 * worker] = seed
    slots[2 * worker + 1] = UInt64(nodes)
  }

  /// Installs handlers for the signals a Swift trap raises; they print the running seeds, then die as before.
  static func install() {
    guard !installed else { return }
    installed = true
    _ = slots
    for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT] {
      signal(sig) { sig in
        SimCrashReporter.report()
        signal(sig, SIG_DFL)
        raise(sig)
      }
    }
  }

  private static func report() {
    var line = [UInt8](repeating: 0, count: 160)
    func put(_ text: StaticString, _ at: inout Int) {
      text.withUTF8Buffer { for b in $0 where at < line.count { line[at] = b; at += 1 } }
    }
    func put(_ value: UInt64, _ at: inout Int) {
      var digits: [UInt8] = []
      var v = value
      repeat { digits.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
      for d in digits.reversed() where at < line.count { line[at] = d; at += 1 }
    }
    for worker in 0..<maxWorkers where slots[2 * worker] != 0 {
      var at = 0
      put("\nRaft simulation crashed while running seed ", &at)
      put(slots[2 * worker], &at)
      put(": reproduce with RAFT_SIM_SEED=", &at)
      put(slots[2 * worker], &at)
      put(" RAFT_SIM_NODES=", &at)
      put(slots[2 * worker + 1], &at)
      put(" swift test --disable-xctest --filter RaftSimulation\n", &at)
      _ = line.withUnsafeBytes { write(2, $0.baseAddress, at) }
    }
  }
}
