import Foundation

/// Where `swetcd-ops upgrade` takes the new build from.
public enum UpgradeSource: Sendable, Hashable {
  /// A server binary (and optionally a ctl binary) given by path.
  case binary(server: String, ctl: String?)
  /// A release kept beside the inventory: `<inventory folder>/releases/<version>/` holding the server binary
  /// (named like on the hosts: `etcd` or `swetcd`) and, if present, the ctl binary (`etcdctl` or `swetcdctl`).
  /// After the upgrade every member must report this version in Status.
  case version(String)
}

/// The local files an upgrade pushes, with their hashes, resolved from an `UpgradeSource`.
public struct UpgradeBinaries: Sendable, Hashable {
  public var server: String
  public var serverSHA256: String
  public var ctl: String?
  public var ctlSHA256: String?
  /// The version every member must report afterwards (`--version`), without a leading "v".
  public var expectedVersion: String?
  /// The flags that repeat this upgrade, for the resume hint.
  public var flags: String

  /// The release folder `--version V` reads.
  /// "v3.4.30" and "3.4.30" find the same folder, whichever of the two exists (the name as given first).
  public static func releaseFolder(inventory: Inventory, version: String) -> String {
    let base = URL(fileURLWithPath: inventory.file).deletingLastPathComponent().path + "/releases/"
    let plain = normalizedVersion(version)
    for name in [version, plain, "v" + plain] where FileManager.default.fileExists(atPath: base + name) {
      return base + name
    }
    return base + version
  }

  /// Finds and hashes the binaries.
  /// - Throws: `OpsError.fileFailed` (host "controller") when a file is missing or unreadable.
  public static func resolve(_ source: UpgradeSource, inventory: Inventory) throws(OpsError) -> UpgradeBinaries {
    let server: String, ctl: String?, expected: String?, flags: String
    switch source {
    case .binary(let serverPath, let ctlPath):
      server = serverPath
      ctl = ctlPath
      expected = nil
      flags = "--binary \(shellQuote(serverPath))" + (ctlPath.map { " --ctl-binary \(shellQuote($0))" } ?? "")
    case .version(let version):
      let folder = releaseFolder(inventory: inventory, version: version)
      guard let host = inventory.hosts.first else {
        throw .fileFailed(host: "controller", path: inventory.file, message: "the inventory lists no hosts")
      }
      let paths = MemberPaths(host: host, server: inventory.cluster.server)
      server = "\(folder)/\((paths.serverBinary as NSString).lastPathComponent)"
      let ctlCandidate = "\(folder)/\((paths.ctlBinary as NSString).lastPathComponent)"
      ctl = FileManager.default.fileExists(atPath: ctlCandidate) ? ctlCandidate : nil
      expected = normalizedVersion(version)
      flags = "--version \(shellQuote(version))"
      guard FileManager.default.fileExists(atPath: server) else {
        throw .fileFailed(host: "controller", path: server,
                          message: "not found; put release \(version)'s server binary there (and its ctl beside it), or pass --binary PATH")
      }
    }
    guard let serverHash = SHA256Hex.ofFile(server) else {
      throw .fileFailed(host: "controller", path: server, message: "cannot be read; check the path given to --binary")
    }
    var ctlHash: String?
    if let ctl {
      guard let hash = SHA256Hex.ofFile(ctl) else {
        throw .fileFailed(host: "controller", path: ctl, message: "cannot be read; check the path given to --ctl-binary")
      }
      ctlHash = hash
    }
    return UpgradeBinaries(server: server, serverSHA256: serverHash, ctl: ctl, ctlSHA256: ctlHash,
                           expectedVersion: expected, flags: flags)
  }

  /// "v3.4.30" and "3.4.30" name the same version.
  public static func normalizedVersion(_ text: String) -> String {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    return trimmed.hasPrefix("v") ? String(trimmed.dropFirst()) : trimmed
  }

  /// Before anything is pushed: when the server binary runs here and prints its version (`etcd --version`
  /// prints "etcd Version: 3.4.30"), that version must be the one asked for. A binary that does not run here
  /// (another architecture) is not judged.
  /// - Returns: why the binary does not fit, or nil.
  func versionMismatch() async -> String? {
    guard let expected = expectedVersion else { return nil }
    let output = try? await LocalConnection(hostName: "controller")
      .run("\(shellQuote(server)) --version 2>&1", stdin: nil, timeout: .seconds(10))
    guard let output, output.status == 0 else { return nil }
    let reported = Self.reportedVersion(output.stdout)
    guard let reported, reported != expected else { return nil }
    return "\(server) says it is version \(reported), not \(expected); put release \(expected)'s binary in the release folder"
  }

  /// The server's own version in `--version` output ("etcd Version: 3.4.30", "swetcd Version: 0.1.0"),
  /// ignoring the Go and Git lines.
  static func reportedVersion(_ output: String) -> String? {
    for line in output.split(separator: "\n") {
      let parts = line.components(separatedBy: " Version: ")
      guard parts.count == 2, !["Go", "Git", "API"].contains(parts[0].trimmingCharacters(in: .whitespaces)) else { continue }
      return normalizedVersion(parts[1])
    }
    return nil
  }
}
