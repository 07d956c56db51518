// Blocking disk work of the transport (the fsync of a received snapshot, which can take as long as the disk needs
// for the whole file) runs on a thread of its own: the cooperative pool that serves every peer stream and client
// request must never wait on the disk.
import Foundation

/// Runs `work` on a new thread and waits for it without holding a cooperative thread.
func onOwnThread<T: Sendable>(
  _ work: @escaping @Sendable () throws(PeerTransportError) -> T
) async throws(PeerTransportError) -> T {
  let result: Result<T, PeerTransportError> = await withCheckedContinuation { continuation in
    Thread.detachNewThread {
      do throws(PeerTransportError) {
        continuation.resume(returning: .success(try work()))
      } catch {
        continuation.resume(returning: .failure(error))
      }
    }
  }
  return try result.get()
}
