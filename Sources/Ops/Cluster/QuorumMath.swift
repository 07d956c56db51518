/// The arithmetic every membership plan shows: a cluster of N voters needs a quorum of N/2+1 and survives the
/// loss of the rest. Learners never count.
public struct QuorumMath: Sendable, Hashable {
  public var voters: Int

  public init(voters: Int) { self.voters = voters }

  public var quorum: Int { voters / 2 + 1 }
  /// How many voters may be down while the cluster still commits.
  public var tolerates: Int { max(0, voters - quorum) }

  /// "3 voters, quorum 2, tolerates 1 failure".
  public var description: String {
    "\(voters) voter\(voters == 1 ? "" : "s"), quorum \(quorum), tolerates \(tolerates) failure\(tolerates == 1 ? "" : "s")"
  }

  /// Whether `healthy` voters (of `voters`) still make a quorum.
  public func holds(healthy: Int) -> Bool { healthy >= quorum }
}
