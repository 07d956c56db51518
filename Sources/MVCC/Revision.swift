// A revision of the MVCC store: the main revision of the transaction that made a change and the change's position
// inside it.

/// The position of one change in the store's history.
///
/// `main` is the store revision a write transaction creates (every Put, DeleteRange or Txn that changes something
/// increments it by one); `sub` numbers the changes inside that transaction from 0. Revisions order by `main`, then
/// `sub`.
public struct Revision: Comparable, Hashable, Sendable, CustomStringConvertible {
  /// The store revision of the transaction.
  public var main: Int64
  /// The change's index within the transaction.
  public var sub: Int64

  /// Creates a revision.
  public init(main: Int64, sub: Int64 = 0) {
    self.main = main
    self.sub = sub
  }

  public static func < (lhs: Revision, rhs: Revision) -> Bool {
    lhs.main != rhs.main ? lhs.main < rhs.main : lhs.sub < rhs.sub
  }

  public var description: String { "\(main)_\(sub)" }
}
