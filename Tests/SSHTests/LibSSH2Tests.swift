import SSH
import Testing

/// The libssh2 system library links and initialises: the SSH module's foundation.
@Suite struct LibSSH2Tests {
  @Test func libraryInitialisesAndReportsItsVersion() throws {
    try LibSSH2.ensureInitialized()
    let parts = LibSSH2.version.split(separator: ".").compactMap { Int($0) }
    #expect(parts.count == 3)
    #expect(parts.first == 1)
  }

  @Test func newSessionObjectIsBlockingByDefault() throws {
    let session = try SSHSessionHandle()
    #expect(session.isBlocking)
  }
}
