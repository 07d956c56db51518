import Foundation
import PathKit
import Stencil

/// The Jinja-style templates (rendered with Stencil) that produce each member's files. A custom folder
/// (`--templates`) overlays the shipped one: a template it has wins, the others come from the shipped set.
public struct TemplateSet: Sendable {
  /// Templates every deploy renders.
  public static let required = ["etcd.conf", "etcd.service", "supervise.sh"]

  /// Folders searched in order for each template.
  public let directories: [String]

  public init(directories: [String]) { self.directories = directories }

  /// The shipped templates (`$SWETCD_OPS_TEMPLATES`, `share/swetcd-ops/templates` beside the executable's folder,
  /// or the templates/ of the source tree this tool was built from), under `override` if given.
  public static func locate(override: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(OpsError) -> TemplateSet
  {
    var candidates: [String] = []
    if let fromEnvironment = environment["SWETCD_OPS_TEMPLATES"] { candidates.append(fromEnvironment) }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(executable.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("share/swetcd-ops/templates").path)
    candidates.append(sourceTreeTemplates)
    guard let shipped = candidates.first(where: { dir in required.allSatisfy { FileManager.default.fileExists(atPath: "\(dir)/\($0)") } }) else {
      throw .templatesNotFound(searched: candidates)
    }
    if let override {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: override, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw .templateFailed(name: override, message: "--templates \(override) is not a folder")
      }
      return TemplateSet(directories: [override, shipped])
    }
    return TemplateSet(directories: [shipped])
  }

  /// templates/ at the root of the package this file was compiled from.
  static let sourceTreeTemplates = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("templates").path

  /// The folder that provides template `name`.
  public func directory(for name: String) -> String? {
    directories.first { FileManager.default.fileExists(atPath: "\($0)/\(name)") }
  }

  /// Renders template `name` with `context`.
  public func render(_ name: String, _ context: [String: Any]) throws(OpsError) -> String {
    guard let directory = directory(for: name) else {
      throw .templateFailed(name: name, message: "no \(name) in \(directories.joined(separator: " or "))")
    }
    let environment = Environment(loader: FileSystemLoader(paths: [Path(directory)]), trimBehaviour: .smart)
    do {
      return try environment.renderTemplate(name: name, context: context)
    } catch {
      throw .templateFailed(name: "\(directory)/\(name)", message: "\(error)")
    }
  }
}
