import Foundation

/// One host's state through a deploy. Phases take a member and return it updated; hosts run in parallel and
/// share nothing mutable.
struct Member: Sendable {
  var host: HostSpec
  var connection: any HostConnection
  var facts: HostFacts
  var paths: MemberPaths
  /// Local files pushed as the server and ctl binaries.
  var serverBinary: String
  var ctlBinary: String
  /// Something the running server reads changed (config, unit, certificates, binary): restart it.
  var needsRestart = false
  /// A phase failed here; later phases skip this host.
  var failure: String?
  /// Whether the server was running when facts were gathered.
  var wasRunning = false
  /// etcd.conf as a deploy found it on the host (nil inside: no such file yet), read once per deploy run when it
  /// connects and kept current as the config phase rewrites it. Commands other than deploy leave it unread.
  var configOnHost: Result<String?, OpsError> = .success(nil)

  var name: String { host.name }

  /// The manager of this member's server, as the inventory chooses it (`node.service`) for this host's facts.
  var service: any ServiceManager {
    ServiceManagers.make(choice: host.node.service, facts: facts, host: host, paths: paths, connection: connection)
  }

  /// The account that owns the member's data and keys: the service user, unless the tool runs unprivileged on
  /// this machine (then files stay the operator's).
  var owner: String? {
    if host.connection == .local && getuid() != 0 { return nil }
    return host.node.serviceUser == "root" ? nil : "\(host.node.serviceUser):\(host.node.serviceUser)"
  }
}

/// Runs `body` for every member in parallel, keeping inventory order in the result.
func forEachMember<T: Sendable>(
  _ members: [Member], _ body: @escaping @Sendable (Member) async -> T
) async -> [T] {
  await inParallel(members, body)
}

/// Runs a throwing `body` for every member in parallel and returns the values in inventory order; when members
/// fail, throws the one failure, or all of them as `OpsError.several`.
func forEachMember<T: Sendable>(
  _ members: [Member], throwing body: @escaping @Sendable (Member) async throws(OpsError) -> T
) async throws(OpsError) -> [T] {
  let results = await forEachMember(members) { member -> Result<T, OpsError> in
    do throws(OpsError) { return .success(try await body(member)) } catch { return .failure(error) }
  }
  return try OpsError.collect(results)
}
