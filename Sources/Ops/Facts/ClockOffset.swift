import Foundation

/// Clock offset between the controller and a host, measured over the connection and corrected for the round trip
/// as NTP does: the host's reading is compared with the midpoint of the controller's send and receive times.
public enum ClockOffset {
  /// One probe: controller time before sending, the host's reading, controller time after the answer (all in
  /// milliseconds since the epoch).
  public struct Sample: Sendable, Hashable {
    public var sent: Double
    public var remote: Double
    public var received: Double

    public init(sent: Double, remote: Double, received: Double) {
      self.sent = sent
      self.remote = remote
      self.received = received
    }

    public var roundTrip: Double { received - sent }
    /// Positive when the host's clock is ahead.
    public var offset: Double { remote - (sent + received) / 2 }
  }

  /// The offset of the sample with the shortest round trip (the least disturbed by queueing).
  public static func estimate(_ samples: [Sample]) -> Double? {
    samples.min { $0.roundTrip < $1.roundTrip }?.offset
  }

  /// Asks the host for its time `count` times and estimates the offset in milliseconds.
  public static func measure(connection: some HostConnection, count: Int = 3) async throws(OpsError) -> Double? {
    var samples: [Sample] = []
    for _ in 0..<count {
      let sent = Date().timeIntervalSince1970 * 1000
      let output = try await connection.run("date +%s%N", stdin: nil, timeout: .seconds(10))
      let received = Date().timeIntervalSince1970 * 1000
      guard let nanoseconds = Double(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
      samples.append(Sample(sent: sent, remote: nanoseconds / 1_000_000, received: received))
    }
    return estimate(samples)
  }
}
