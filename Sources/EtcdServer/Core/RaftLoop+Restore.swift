// Replacing the backend with a snapshot's (waits for MVCC's restore).

extension RaftLoop {
  func restoreBackend(from file: String) throws {
    throw ServerError.storage("installing a snapshot's backend is not built yet")
  }
}
