import Foundation

/// Shows a deploy as it runs. On a terminal: one live line per host (its current phase and a spinner or upload
/// percentage) with permanent messages printed above them. Otherwise: plain lines, one per event.
public final class ProgressReporter: @unchecked Sendable {
  private let lock = NSLock()
  private let live: Bool
  private var hosts: [String] = []
  private var status: [String: String] = [:]
  private var drawnLines = 0
  private var frame = 0
  private var ticker: Task<Void, Never>?
  private let write: @Sendable (String) -> Void

  /// - Parameter live: redraw per-host lines in place (use when stdout is a terminal).
  public init(live: Bool = isatty(STDOUT_FILENO) == 1, write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
    self.live = live
    self.write = write
  }

  /// Starts the per-host display.
  public func begin(hosts: [String]) {
    lock.withLock {
      self.hosts = hosts
      for host in hosts { status[host] = "waiting" }
      if live { redraw() }
    }
    guard live else { return }
    ticker = Task { [weak self] in
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(120))
        self?.tick()
      }
    }
  }

  /// Updates a host's live line (on a terminal) or prints it (otherwise). A `transient` update (a phase that
  /// has just begun, an upload percentage) only shows on the live display.
  public func update(_ host: String, _ text: String, transient: Bool = false) {
    lock.withLock {
      let unchanged = status[host] == text
      status[host] = text
      if live { redraw() } else if !transient, !unchanged { write("[\(host)] \(text)\n") }
    }
  }

  /// Prints a message that stays (above the live lines on a terminal).
  public func message(_ text: String) {
    lock.withLock {
      if live {
        clear()
        write(text.hasSuffix("\n") ? text : text + "\n")
        redraw()
      } else {
        write(text.hasSuffix("\n") ? text : text + "\n")
      }
    }
  }

  /// Stops the live display, leaving the final per-host lines on screen.
  public func end() {
    ticker?.cancel()
    ticker = nil
    lock.withLock {
      if live { redraw() }
      drawnLines = 0
    }
  }

  private func tick() {
    lock.withLock {
      frame += 1
      redraw()
    }
  }

  private func clear() {
    guard drawnLines > 0 else { return }
    write("\u{1B}[\(drawnLines)A" + String(repeating: "\u{1B}[2K\n", count: drawnLines) + "\u{1B}[\(drawnLines)A")
    drawnLines = 0
  }

  private func redraw() {
    guard live else { return }
    let spinner = ["|", "/", "-", "\\"][frame % 4]
    let width = hosts.map(\.count).max() ?? 0
    var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
    for host in hosts {
      let line = status[host] ?? ""
      let done = line.hasPrefix("done") || line.hasPrefix("FAILED") || line.hasPrefix("waiting")
      text += "\u{1B}[2K\(done ? " " : spinner) \(host.padding(toLength: width, withPad: " ", startingAt: 0))  \(line)\n"
    }
    write(text)
    drawnLines = hosts.count
  }
}
