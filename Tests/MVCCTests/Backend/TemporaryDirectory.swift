import Foundation
import TestSupport

/// A directory under /tmp for one test, removed by `remove()`.
struct TemporaryDirectory {
  let path: String

  init(_ name: String = "mvcc") {
    path = makeTemporaryDirectory("swetcd-\(name)")
  }

  func file(_ name: String) -> String { path + "/" + name }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
