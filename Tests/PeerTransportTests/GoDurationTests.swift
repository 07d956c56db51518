@testable import PeerTransport
import Testing

@Suite struct GoDurationTests {
  @Test func durationsPrintLikeGo() {
    #expect(GoDuration.format(nanoseconds: 0) == "0s")
    #expect(GoDuration.format(nanoseconds: 999) == "999ns")
    #expect(GoDuration.format(nanoseconds: 1_500) == "1.5µs")
    #expect(GoDuration.format(nanoseconds: 12_345_000) == "12.345ms")
    #expect(GoDuration.format(nanoseconds: 3_001_204_523) == "3.001204523s")
    #expect(GoDuration.format(nanoseconds: 2_000_000_000) == "2s")
    #expect(GoDuration.format(nanoseconds: 62_500_000_000) == "1m2.5s")
    #expect(GoDuration.format(nanoseconds: 7_200_000_000_000) == "2h0m0s")
    #expect(GoDuration.format(nanoseconds: -1_500_000_000) == "-1.5s")
  }
}
