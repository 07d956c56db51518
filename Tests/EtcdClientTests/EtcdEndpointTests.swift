import EtcdClient
import Testing

/// Endpoint strings are read as etcdctl reads them, and bad ones are refused with the expected form.
@Suite struct EtcdEndpointTests {
  @Test(arguments: [
    ("https://10.0.0.1:2379", "https://10.0.0.1:2379"),
    ("http://etcd1.example:22379", "http://etcd1.example:22379"),
    ("127.0.0.1:2379", "http://127.0.0.1:2379"),
    ("[::1]:2379", "http://[::1]:2379"),
    ("https://[fd00::5]:2379/", "https://[fd00::5]:2379"),
    ("etcd1", "http://etcd1:2379"),
  ])
  func parsesEtcdctlStyleEndpoints(input: String, expected: String) throws {
    #expect(try EtcdEndpoint(parsing: input).description == expected)
  }

  @Test(arguments: ["ftp://h:1", "h:notaport", "h:70000", "[::1:2379", ":2379", "https://"])
  func refusesMalformedEndpointsWithAReason(input: String) {
    let error = #expect(throws: EtcdClientError.self) { try EtcdEndpoint(parsing: input) }
    guard case .invalidEndpoint(let text, let reason)? = error else {
      Issue.record("expected invalidEndpoint, got \(String(describing: error))")
      return
    }
    #expect(text == input)
    #expect(!reason.isEmpty)
  }

  @Test func knowsIPLiteralsFromHostNames() throws {
    #expect(try EtcdEndpoint(parsing: "10.1.2.3:1").hostIsIPAddress)
    #expect(try EtcdEndpoint(parsing: "[::1]:1").hostIsIPAddress)
    #expect(try !EtcdEndpoint(parsing: "etcd-1.local:1").hostIsIPAddress)
    #expect(try !EtcdEndpoint(parsing: "1.2.3.999:1").hostIsIPAddress)
  }
}
