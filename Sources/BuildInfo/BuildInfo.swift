/// Versions every swetcd executable reports.
///
/// `version` is swetcd's own release. `etcdAPIVersion` is the etcd API the server and client speak; clients
/// negotiate features by it exactly as they do with etcd 3.4.
public enum BuildInfo {
  /// swetcd's release version.
  public static let version = "0.1.0"
  /// The etcd API version spoken on the wire (etcdctl prints it as "API version").
  public static let etcdAPIVersion = "3.4"
  /// The etcd server release whose behaviour the server matches; reported where etcd reports its own version.
  public static let etcdCompatibleVersion = "3.4.23"

  /// `linux/amd64`-style platform string, as Go programs print it.
  public static var platform: String {
    #if os(Linux)
    let os = "linux"
    #elseif os(macOS)
    let os = "darwin"
    #else
    let os = "unknown"
    #endif
    #if arch(x86_64)
    let arch = "amd64"
    #elseif arch(arm64)
    let arch = "arm64"
    #else
    let arch = "unknown"
    #endif
    return "\(os)/\(arch)"
  }
}
