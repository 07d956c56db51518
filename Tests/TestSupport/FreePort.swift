import Foundation
import Synchronization

/// Ports handed out below the kernel's ephemeral range (32768-60999 on Linux), so a port given to a test is never
/// taken meanwhile by a socket bound to port 0 or by an outgoing connection (in-process servers and clients of
/// other tests do both); a process-wide cursor keeps two tests from getting the same one.
private let testPortRange = 20_000..<32_768
private let nextTestPort = Atomic<Int>(Int(getpid()) % 4_096)

/// A TCP port on 127.0.0.1 that is free now and that no other caller in this process gets.
public func freeTCPPort() -> Int {
  for _ in 0..<testPortRange.count {
    let offset = nextTestPort.add(1, ordering: .relaxed).oldValue % testPortRange.count
    let candidate = testPortRange.lowerBound + offset
    if canBind(port: candidate) { return candidate }
  }
  preconditionFailure("no free TCP port in \(testPortRange) on 127.0.0.1")
}

private func canBind(port: Int) -> Bool {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  precondition(fd >= 0, "socket() failed")
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = UInt16(port).bigEndian
  let length = socklen_t(MemoryLayout<sockaddr_in>.size)
  return withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 }
  }
}

/// Makes a fresh private temporary directory (0700) and returns its path.
public func makeTemporaryDirectory(_ prefix: String = "swetcd-test") -> String {
  let pattern = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-XXXXXX").path
  var template = Array(pattern.utf8CString)
  let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  precondition(path != nil, "mkdtemp failed")
  return String(cString: path!)
}
