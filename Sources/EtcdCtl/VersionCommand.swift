import BuildInfo

/// What `swetcdctl version` and `swetcdctl --version` print, in etcdctl 3.4's layout.
public enum CtlVersion {
  public static var text: String {
    "swetcdctl version: \(BuildInfo.version)\nAPI version: \(BuildInfo.etcdAPIVersion)"
  }
}
