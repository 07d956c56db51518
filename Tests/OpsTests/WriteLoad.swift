import EtcdClient
import Foundation

/// A continuous write load against a cluster, as an application would make it: one Put at a time through any
/// endpoint that answers (failing over like a client), every outcome recorded with its time. Day-2 scenarios run
/// it while they change the cluster and then check how many writes failed and for how long.
final class WriteLoad: @unchecked Sendable {
  struct Report: Sendable, CustomStringConvertible {
    var succeeded: Int
    var failed: Int
    /// The longest stretch from a first failure to the next success.
    var longestOutage: Duration
    /// The last key written successfully and its value.
    var lastWritten: (key: String, value: String)?
    var failures: [String]

    var description: String {
      "\(succeeded) writes ok, \(failed) failed, longest outage \(longestOutage); first failures: \(failures.prefix(5))"
    }
  }

  private let lock = NSLock()
  private var succeeded = 0
  private var failed = 0
  private var failures: [String] = []
  private var outageStart: ContinuousClock.Instant?
  private var longest: Duration = .zero
  private var last: (String, String)?
  private var task: Task<Void, Never>?

  /// Starts writing `prefix<n>` keys to `endpoints` (https with `tls`, e.g. `DeployScenario.tls`).
  static func start(endpoints: [String], tls: EtcdTLS, prefix: String = "load/") throws -> WriteLoad {
    let client = try EtcdClient(endpoints: endpoints, tls: tls, callTimeout: .seconds(5))
    let load = WriteLoad()
    load.task = Task.detached {
      var sequence = 0
      while !Task.isCancelled {
        sequence += 1
        let key = "\(prefix)\(sequence)", value = "v\(sequence)"
        do throws(EtcdClientError) {
          _ = try await client.withAnyEndpoint { connection async throws(EtcdClientError) in try await connection.put(key, value) }
          load.recordSuccess(key: key, value: value)
        } catch {
          if Task.isCancelled { break }  // the write stop() interrupted is not a failure of the cluster
          load.recordFailure("\(key): \(error.description)")
          try? await Task.sleep(for: .milliseconds(100))
        }
        try? await Task.sleep(for: .milliseconds(20))
      }
      await client.close()
    }
    return load
  }

  private func recordSuccess(key: String, value: String) {
    lock.withLock {
      succeeded += 1
      last = (key, value)
      if let start = outageStart { longest = max(longest, ContinuousClock.now - start); outageStart = nil }
    }
  }

  private func recordFailure(_ message: String) {
    lock.withLock {
      failed += 1
      if failures.count < 50 { failures.append(message) }
      if outageStart == nil { outageStart = .now }
    }
  }

  /// Writes that succeeded so far (the load goes on).
  var succeededSoFar: Int { lock.withLock { succeeded } }

  /// Stops the load (waiting for the writer to finish) and reports.
  func stop() async -> Report {
    task?.cancel()
    await task?.value
    return lock.withLock {
      var longestOutage = longest
      if let start = outageStart { longestOutage = max(longestOutage, ContinuousClock.now - start) }
      return Report(succeeded: succeeded, failed: failed, longestOutage: longestOutage,
                    lastWritten: last.map { (key: $0.0, value: $0.1) }, failures: failures)
    }
  }
}
