import Foundation

extension Member {
  /// Connects to a host (SSH or local), gathers its facts and whether its server runs: the start of every
  /// command that acts on hosts.
  /// - Parameter binaryDirectory: where the default swetcd/swetcdctl binaries are (this tool's own folder).
  static func connect(to host: HostSpec, inventory: Inventory, binaryDirectory: String,
                      acceptNewHostKeys: Bool) async throws(OpsError) -> Member {
    let connection: any HostConnection
    switch host.connection {
    case .local: connection = LocalConnection(hostName: host.name)
    case .ssh: connection = try await SSHConnection.connect(to: host, acceptNewHostKeys: acceptNewHostKeys)
    }
    do {
      let paths = MemberPaths(host: host, server: inventory.cluster.server)
      let facts = try await FactsProbe.gather(host: host, serverBinary: paths.serverBinary, connection: connection)
      var member = Member(host: host, connection: connection, facts: facts, paths: paths,
                          serverBinary: host.localServerBinary(binaryDirectory: binaryDirectory),
                          ctlBinary: host.localCtlBinary(binaryDirectory: binaryDirectory))
      member.wasRunning = try await member.service.isRunning()
      return member
    } catch {
      await connection.close()
      throw error
    }
  }
}

/// The hosts a day-2 command has connected to, closed together at the end (a session freed while the process
/// exits races OpenSSL's own cleanup, so every command closes what it opened).
final class ConnectedMembers: @unchecked Sendable {
  private let lock = NSLock()
  private var members: [String: Member] = [:]
  let inventory: Inventory
  let binaryDirectory: String
  let acceptNewHostKeys: Bool

  init(inventory: Inventory, binaryDirectory: String, acceptNewHostKeys: Bool) {
    self.inventory = inventory
    self.binaryDirectory = binaryDirectory
    self.acceptNewHostKeys = acceptNewHostKeys
  }

  /// The connected member for `host`, connecting on first use.
  func member(_ host: HostSpec) async throws(OpsError) -> Member {
    if let known = lock.withLock({ members[host.name] }) { return known }
    let member = try await Member.connect(to: host, inventory: inventory, binaryDirectory: binaryDirectory,
                                          acceptNewHostKeys: acceptNewHostKeys)
    lock.withLock { members[host.name] = member }
    return member
  }

  /// Connects to every host in parallel; one result per host, in the order given.
  func connectAll(_ hosts: [HostSpec]) async -> [Result<Member, OpsError>] {
    await inParallel(hosts) { host -> Result<Member, OpsError> in
      do throws(OpsError) { return .success(try await self.member(host)) } catch { return .failure(error) }
    }
  }

  func closeAll() async {
    let all = lock.withLock { Array(members.values) }
    for member in all { await member.connection.close() }
    lock.withLock { members.removeAll() }
  }
}
