import Foundation
import Testing
import TestSupport

/// An `etcdctl watch` left idle for 2 min 10 s (etcdctl's --keepalive-time 2s, which grpc-go raises to 10 s: the server must
/// accept them, not answer GOAWAY too_many_pings) still delivers the next event. Sleeps with Task.sleep, so it holds
/// no thread and runs beside the other suites; it takes about 2 min 15 s.
@Suite(.enabled(if: Etcdctl.isInstalled, "needs the real etcdctl 3.4.23"))
struct IdleWatchTests {
  @Test func anIdleWatchSurvivesTwoMinutesOfSilenceAndSeesTheNextPut() async throws {
    let server = try await SwetcdServer.start()
    let flags = ["--endpoints=\(server.clientURL)"]
    let watch = try Etcdctl.start(flags + ["watch", "idle/key"], logPath: server.directory + "/watch.log")
    try await Task.sleep(for: .seconds(130))
    #expect(watch.process.isRunning, "the watch exited while idle: \(watch.output)")
    let put = try await Etcdctl.run(flags + ["put", "idle/key", "after-silence"])
    #expect(put.status == 0, "\(put)")
    #expect(await watch.waitFor("PUT\nidle/key\nafter-silence\n", within: 10), "watch printed: \(watch.output)")
    watch.stop()
    #expect(!server.log.contains("too_many_pings"), "\(server.log.suffix(1000))")
    await server.stopped()
  }
}
