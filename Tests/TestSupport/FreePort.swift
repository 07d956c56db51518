import Foundation

/// Asks the kernel for a currently free TCP port on 127.0.0.1.
public func freeTCPPort() -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  precondition(fd >= 0, "socket() failed")
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
      guard bind(fd, pointer, length) == 0 else { return -1 }
      return getsockname(fd, pointer, &length)
    }
  }
  precondition(bound == 0, "bind/getsockname failed")
  return Int(UInt16(bigEndian: address.sin_port))
}

/// Makes a fresh private temporary directory (0700) and returns its path.
public func makeTemporaryDirectory(_ prefix: String = "swetcd-test") -> String {
  let pattern = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(prefix)-XXXXXX").path
  var template = Array(pattern.utf8CString)
  let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  precondition(path != nil, "mkdtemp failed")
  return String(cString: path!)
}
