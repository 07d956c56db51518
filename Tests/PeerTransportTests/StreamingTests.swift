import Foundation
import PeerTransport
import Raft
import TestSupport
import Testing

@Suite struct StreamingTests {
  @Test func messagesArriveInOrderAndBatched() async throws {
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb)
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    a.transport.send((1...500).map { heartbeat(from: 0xa, to: 0xb, commit: UInt64($0)) })
    let arrived = await eventually(within: 10) { b.recorder.messages.count >= 500 }
    await stopAll([a, b])
    #expect(arrived)
    #expect(b.recorder.messages.map(\.commit) == (1...500).map { UInt64($0) })
    #expect(b.recorder.seen.withLock { $0.batches.count } < 500)
    #expect(b.recorder.messages.allSatisfy { $0.from == 0xa && $0.to == 0xb })
  }

  @Test func twentyThousandMessagesArriveComplete() async throws {
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb)
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    let payload = [UInt8](repeating: 7, count: 100)
    var complete = true
    for round in 0..<10 {
      let base = round * 2_000
      a.transport.send((1...2_000).map {
        Message(type: .append, to: 0xb, from: 0xa, term: 1, index: UInt64(base + $0),
                entries: [Entry(term: 1, index: UInt64(base + $0), data: payload)])
      })
      complete = await eventually(within: 20, every: .milliseconds(20)) { b.recorder.messages.count >= base + 2_000 }
      if !complete { break }
    }
    let status = a.transport.peerStatus()[0xb]
    await stopAll([a, b])
    #expect(complete)
    #expect(b.recorder.messages.map(\.index) == (1...20_000).map { UInt64($0) })
    #expect(a.recorder.seen.withLock { $0.unreachable }.isEmpty)
    #expect((status?.bytesSent ?? 0) > 20_000 * 100)
  }

  @Test func downPeerIsReportedUnreachableAndDeliveryResumesWhenItStarts() async throws {
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb)
    try await a.transport.start()
    mesh([a, b])
    let reported = await eventually(within: 10, every: .milliseconds(50)) {
      a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 1)])
      return a.recorder.seen.withLock { $0.unreachable.contains(0xb) }
    }
    #expect(reported)
    #expect(a.logs.first("established a TCP streaming connection with remote peer") == nil)
    try await b.transport.start()
    let resumed = await eventually(within: 15, every: .milliseconds(50)) {
      a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 2)])
      return b.recorder.messages.contains { $0.commit == 2 }
        && a.logs.first("established a TCP streaming connection with remote peer") != nil
    }
    let established = a.logs.first("established a TCP streaming connection with remote peer")
    await stopAll([a, b])
    #expect(resumed)
    #expect(established?.fields["remote-peer-id"] == "b")
  }

  @Test func lostConnectionIsLoggedWhenThePeerStops() async throws {
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb)
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    let active = await eventually(within: 10) { a.transport.peerStatus()[0xb]?.active == true }
    await b.transport.stop()
    let lost = await eventually(within: 10) { a.logs.first("lost TCP streaming connection with remote peer") != nil }
    await a.transport.stop()
    #expect(active)
    #expect(lost)
    #expect(a.logs.first("lost TCP streaming connection with remote peer")?.fields["remote-peer-id"] == "b")
  }

  @Test func clusterIDMismatchIsRefusedAndLoggedOnBothSides() async throws {
    let a = try makeMember(id: 0xa, cluster: 0x111), b = try makeMember(id: 0xb, cluster: 0x222)
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    let senderLine = "request sent was ignored (cluster ID mismatch: peer[b]=222, local=111)"
    let receiverLine = "request cluster ID mismatch (got 111 want 222)"
    let logged = await eventually(within: 10, every: .milliseconds(50)) {
      a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 1)])
      return a.logs.first(senderLine) != nil && b.logs.first(receiverLine) != nil
    }
    let repeats = a.logs.lines.withLock { $0.filter { $0.message == senderLine }.count }
    await stopAll([a, b])
    #expect(logged)
    #expect(b.logs.first(receiverLine)?.fields["remote-peer-cluster-id"] == "111")
    #expect(repeats == 1)  // rate-limited
    #expect(b.recorder.messages.isEmpty)
  }

  @Test func removedMemberIsRefusedAndToldItWasRemoved() async throws {
    let a = try makeMember(id: 0xa), b = try makeMember(id: 0xb)
    b.recorder.removed.withLock { $0 = [0xa] }
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    let told = await eventually(within: 10, every: .milliseconds(50)) {
      a.transport.send([heartbeat(from: 0xa, to: 0xb, commit: 1)])
      return !a.recorder.seen.withLock { $0.removedBy }.isEmpty
    }
    await stopAll([a, b])
    #expect(told)
    #expect(a.recorder.seen.withLock { $0.removedBy } == [0xb])
    #expect(b.recorder.messages.isEmpty)
  }

  @Test func clockProbeWarnsAboutAPeerThreeSecondsAhead() async throws {
    let a = try makeMember(id: 0xa, probe: .milliseconds(100))
    let b = try makeMember(id: 0xb, clock: { PeerTransportOptions.systemWallClock() + 3_000_000_000 })
    try await a.transport.start()
    try await b.transport.start()
    mesh([a, b])
    let prefix = "the clock difference against peer b is too high ["
    let warned = await eventually(within: 10) { a.logs.lines.withLock { $0.contains { $0.message.hasPrefix(prefix) } } }
    let line = a.logs.lines.withLock { $0.first { $0.message.hasPrefix(prefix) } }
    let status = a.transport.peerStatus()[0xb]
    await stopAll([a, b])
    #expect(warned)
    #expect(line?.level == .warn)
    #expect(line?.message.hasSuffix("s > 1s]") == true)
    #expect(line?.fields["peer-id"] == "b")
    // About 3 s; the probe's RTT/2 correction moves it by up to half a (possibly slow) round trip.
    let drift = line?.fields["clock-drift"].flatMap { $0.hasSuffix("s") ? Double($0.dropLast()) : nil }
    #expect(drift.map { $0 > 2.5 && $0 < 3.5 } == true, "\(line?.fields["clock-drift"] ?? "none")")
    #expect(line?.fields["rtt"] != nil)
    let difference = try #require(status?.clockDifference)
    #expect(difference < .milliseconds(-2_500) && difference > .milliseconds(-3_500))
    #expect(status?.roundTripTime != nil)
  }

  @Test func membershipIsFetchedFromARunningMember() async throws {
    let a = try makeMember(id: 0xa)
    try await a.transport.start()
    let down = "http://127.0.0.1:\(freeTCPPort())"
    // The running member's answer gets a generous bound (a loaded machine); the down one is refused at once.
    let bytes = try await PeerTransport.fetchMembership(from: [down, a.url], tls: nil, timeout: .seconds(30))
    await a.transport.stop()
    #expect(bytes == Array("members-of-cluster".utf8))
    // Refused by the closed port, not by running out of time (the bound is generous for a loaded machine).
    let refusal = await #expect(throws: PeerTransportError.self) {
      try await PeerTransport.fetchMembership(from: [down], tls: nil, timeout: .seconds(30))
    }
    #expect(refusal?.description.contains("timed out") == false, "\(refusal.map(String.init(describing:)) ?? "")")
  }

  @Test func bindingAnAddressInUseNamesTheURL() async throws {
    let a = try makeMember(id: 0xa)
    try await a.transport.start()
    let port = Int(a.url.split(separator: ":").last!)!
    let b = try makeMember(id: 0xb, port: port)
    do {
      try await b.transport.start()
      Issue.record("a second transport bound \(a.url)")
    } catch {
      guard case .bindFailed(let url, _) = error else { Issue.record("unexpected \(error)"); return }
      #expect(url == a.url)
      #expect(error.description.contains("cannot listen for peers on \(a.url)"))
    }
    await a.transport.stop()
  }
}
