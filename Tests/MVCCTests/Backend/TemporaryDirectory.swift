import Foundation

/// A directory under /tmp for one test, removed by `remove()`.
struct TemporaryDirectory {
  let path: String

  init(_ name: String = "mvcc") {
    path = NSTemporaryDirectory() + "swetcd-\(name)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func file(_ name: String) -> String { path + "/" + name }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
