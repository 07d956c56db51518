import Foundation

/// The outcome of running a program to completion.
public struct ProcessOutput: Sendable {
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// Runs programs the way a user would: a real child process, waited for by PID, killed if it overruns.
public enum ChildProcess {
  /// The folder holding this package's built executables (the same folder as the running test bundle).
  public static var productsDirectory: URL {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // On Linux the test runner is `<products>/swetcdPackageTests.xctest`; walk up out of any bundle folder.
    while dir.pathExtension == "xctest" || dir.lastPathComponent == "MacOS" || dir.lastPathComponent == "Contents" {
      dir = dir.deletingLastPathComponent()
    }
    return dir
  }

  /// Path of one of this package's executables (`swetcd`, `swetcdctl`, ...).
  public static func product(_ name: String) -> String {
    productsDirectory.appendingPathComponent(name).path
  }

  /// Finds `name` on PATH (plus the sbin folders, where Debian puts sshd), or nil.
  public static func which(_ name: String) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs `executable` with `arguments`, waits for it (killing it after `timeout` seconds), returns its output.
  /// `input` is written to its standard input (then closed); without it the input is /dev/null.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60,
    input: String? = nil
  ) throws -> ProcessOutput {
    let (process, outPipe, errPipe, inPipe) = try withSpawnRetries { () throws -> (Process, Pipe, Pipe, Pipe?) in
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      if let environment { process.environment = environment }
      let outPipe = Pipe(), errPipe = Pipe()
      process.standardOutput = outPipe
      process.standardError = errPipe
      let inPipe = input == nil ? nil : Pipe()
      process.standardInput = inPipe ?? FileHandle.nullDevice
      try process.run()
      return (process, outPipe, errPipe, inPipe)
    }
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    if let input, let inPipe {
      inPipe.fileHandleForWriting.write(Data(input.utf8))
      try? inPipe.fileHandleForWriting.close()
    }
    // Drain both pipes concurrently so a chatty child cannot fill one and block.
    nonisolated(unsafe) var errData = Data()
    let errReader = Thread { errData = errPipe.fileHandleForReading.readDataToEndOfFile() }
    errReader.start()
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    while !errReader.isFinished { usleep(1000) }
    try? outPipe.fileHandleForReading.close()
    try? errPipe.fileHandleForReading.close()
    return ProcessOutput(
      status: process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}

extension ChildProcess {
  /// Runs `spawn` again (up to 3 times in all) when it fails with EBADF: Foundation's `Process.run` on Linux can
  /// fail so when another thread opens or closes descriptors while it spawns (swiftlang/swift#57827); no child was
  /// started then, so a new attempt with new pipes is safe.
  static func withSpawnRetries<T>(_ spawn: () throws -> T) throws -> T {
    var attempt = 1
    while true {
      do { return try spawn() } catch {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        guard attempt < 3, underlying?.domain == NSPOSIXErrorDomain, underlying?.code == Int(EBADF) else { throw error }
        attempt += 1
        usleep(10_000)
      }
    }
  }

  /// `run` off the Swift concurrency pool, so a waiting test never starves in-process servers of threads.
  public static func runDetached(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60
  ) async throws -> ProcessOutput {
    try await offPool { try run(executable, arguments, environment: environment, timeout: timeout) }
  }
}
