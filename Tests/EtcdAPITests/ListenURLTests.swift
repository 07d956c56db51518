import EtcdAPI
import Testing

@Suite struct ListenURLTests {
  @Test func parsesSchemesHostsAndPorts() throws {
    #expect(try ListenURL(parsing: "http://127.0.0.1:2379") == ListenURL(scheme: .http, host: "127.0.0.1", port: 2379))
    #expect(try ListenURL(parsing: "https://localhost:0/") == ListenURL(scheme: .https, host: "localhost", port: 0))
    #expect(try ListenURL(parsing: "http://[::1]:2379") == ListenURL(scheme: .http, host: "::1", port: 2379))
    #expect(ListenURL(scheme: .http, host: "::1", port: 2379).description == "http://[::1]:2379")
  }

  @Test func rejectsURLsAListenerCannotUse() {
    for text in ["127.0.0.1:2379", "unix://x:1", "http://127.0.0.1", "http://:2379", "http://h:99999", "http://h:1/p"] {
      #expect(throws: EtcdAPIError.self, "\(text)") { try ListenURL(parsing: text) }
    }
  }

  @Test func receiveLimitIsMaxRequestBytesPlusEtcdsGRPCOverhead() {
    var configuration = ClientListenerConfiguration(url: ListenURL(scheme: .http, host: "127.0.0.1", port: 0))
    #expect(configuration.maxReceiveMessageBytes == 2_097_152)
    configuration.maxRequestBytes = 10
    #expect(configuration.maxReceiveMessageBytes == 10 + 512 * 1024)
  }
}
