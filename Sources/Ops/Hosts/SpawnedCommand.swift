import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `/bin/sh -c command` with posix_spawn: pipes are close-on-exec so only fds 0-2 reach the child (a daemon
/// it detaches cannot hold our pipes open), and the child leads its own process group so a timeout kills every
/// process the command started, not just the shell.
enum SpawnedCommand {
  struct Outcome {
    var stdout: Data
    var stderr: Data
    var status: Int32
    var timedOut: Bool
  }

  /// Held from creating the pipes until they are closed in the parent: no other spawn in this process can run
  /// between, so no child inherits another command's pipe ends.
  private static let spawnLock = NSLock()

  private static func closeOnExecPipe() throws -> [Int32] {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return fds
  }

  static func run(_ command: String, stdin: Data?, timeoutSeconds: Double) throws -> Outcome {
    spawnLock.lock()
    var locked = true
    defer { if locked { spawnLock.unlock() } }
    var pipes: [[Int32]] = []
    do {
      for _ in 0..<3 { pipes.append(try closeOnExecPipe()) }
    } catch {
      // Out of descriptors part-way: close the pipes already made.
      for fds in pipes { close(fds[0]); close(fds[1]) }
      throw error
    }
    let input = pipes[0], output = pipes[1], errors = pipes[2]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setpgroup(&attributes, 0)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)

    let arguments = ["/bin/sh", "-c", command]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
    close(input[0]); close(output[1]); close(errors[1])
    spawnLock.unlock()
    locked = false
    guard spawned == 0 else {
      close(input[1]); close(output[0]); close(errors[0])
      throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOEXEC)
    }

    let group = DispatchGroup()
    let collected = Collected()
    // The pipes are read and written on threads of their own: blocking reads on Dispatch's global queues would
    // hold threads that Swift concurrency's cooperative pool shares on Linux.
    for (fd, isError) in [(output[0], false), (errors[0], true)] {
      group.enter()
      Thread {
        let data = readAll(fd)
        close(fd)
        collected.set(data, isError: isError)
        group.leave()
      }.start()
    }
    let writer = input[1]
    Thread {
      if let stdin { writeAll(writer, stdin) }
      close(writer)
    }.start()
    let timedOut = Collected()
    let watchdog = DispatchWorkItem {
      timedOut.markTimedOut()
      kill(-pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: watchdog)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // Output ends when every holder of the pipes is gone; a command's leftover children are its group's.
    if group.wait(timeout: .now() + max(1, timeoutSeconds)) == .timedOut {
      kill(-pid, SIGKILL)
      group.wait()
    }
    watchdog.cancel()
    let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Outcome(stdout: collected.stdout, stderr: collected.stderr, status: exit, timedOut: timedOut.didTimeOut)
  }

  private static func readAll(_ fd: Int32) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = read(fd, &buffer, buffer.count)
      if count > 0 { data.append(buffer, count: count) } else if count < 0 && errno == EINTR { continue } else { break }
    }
    return data
  }

  private static func writeAll(_ fd: Int32, _ data: Data) {
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
        if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { break }
      }
    }
  }

  /// Results written by the reader threads and the watchdog.
  private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data(), timedOut = false
    func set(_ data: Data, isError: Bool) { lock.withLock { if isError { err = data } else { out = data } } }
    func markTimedOut() { lock.withLock { timedOut = true } }
    var stdout: Data { lock.withLock { out } }
    var stderr: Data { lock.withLock { err } }
    var didTimeOut: Bool { lock.withLock { timedOut } }
  }
}
