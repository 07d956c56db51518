// The clock probe: every probe interval, ask the peer for its wall clock, smooth the round-trip time and compute the
// clock difference as etcd does (local now - remote now - RTT/2); warn when it exceeds one second.
import GRPCCore

extension PeerLink {
  /// Weight of a new RTT sample in the moving average.
  static let rttSampleWeight = 0.2
  /// Differences above this are logged as warnings (etcd's threshold).
  static let maxClockDifference = Duration.seconds(1)

  func probeLoop() async {
    var smoothedNanos: Double?
    while !Task.isCancelled {
      if let sample = await probeOnce() {
        let rtt = Double(sample.rttNanos)
        let smoothed = smoothedNanos.map { $0 + Self.rttSampleWeight * (rtt - $0) } ?? rtt
        smoothedNanos = smoothed
        record(remoteNanos: sample.remoteNanos, localNanos: sample.localNanos, rttNanos: sample.rttNanos,
               smoothedRTT: .nanoseconds(Int64(smoothed)))
      }
      do { try await Task.sleep(for: core.options.probeInterval) } catch { return }
    }
  }

  private struct Sample: Sendable {
    var remoteNanos: Int64
    var localNanos: Int64
    var rttNanos: Int64
  }

  private func probeOnce() async -> Sample? {
    var options = CallOptions.defaults
    options.timeout = core.options.dialTimeout
    options.waitForReady = false
    let started = ContinuousClock.now
    do {
      let remote = try await client.unary(
        request: ClientRequest(message: []), descriptor: PeerWire.probe, serializer: RawBytesCoder(),
        deserializer: RawBytesCoder(), options: options
      ) { response in
        var reader = WireReader(try response.message)
        return Int64(bitPattern: try reader.fixed64("the peer's clock"))
      }
      let elapsed = ContinuousClock.now - started
      let rtt = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
      return Sample(remoteNanos: remote, localNanos: core.options.wallClock(), rttNanos: rtt)
    } catch {
      return nil
    }
  }

  private func record(remoteNanos: Int64, localNanos: Int64, rttNanos: Int64, smoothedRTT: Duration) {
    let differenceNanos = localNanos &- remoteNanos &- rttNanos / 2
    let difference = Duration.nanoseconds(differenceNanos)
    core.update(id) {
      $0.roundTripTime = smoothedRTT
      $0.clockDifference = difference
    }
    guard differenceNanos.magnitude > UInt64(1_000_000_000) else { return }
    let shown = GoDuration.format(nanoseconds: Int64(bitPattern: differenceNanos.magnitude))
    core.log(.warn, "the clock difference against peer \(PeerWire.hex(id)) is too high [\(shown) > 1s]", [
      "peer-id": PeerWire.hex(id), "clock-drift": shown,
      "rtt": GoDuration.format(nanoseconds: rttNanos),
    ])
  }
}
