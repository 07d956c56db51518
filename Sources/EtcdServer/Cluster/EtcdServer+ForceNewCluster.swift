// --force-new-cluster on an existing data dir, as etcd 3.4 does it: the log is cut at the commit index (uncommitted
// entries are discarded), and conf changes removing every other member follow, committed at once. The member then
// runs as a one-member cluster with all its data; `member update` fixes its peer URLs and members are added back
// one at a time with empty data dirs.

import Raft
import WAL

extension EtcdServer {
  static func forceNewCluster(disk: DiskRaftStorage, memberID: UInt64, log: ServerLog) throws(ServerError) {
    let storage = disk.storage
    let (hardState, snapshotConf) = storage.initialState()
    let commit = max(hardState.commit, storage.firstIndex() - 1)
    var confState = snapshotConf
    var entries: [Entry] = []
    if commit >= storage.firstIndex() {
      do { entries = try storage.entries(from: storage.firstIndex(), to: commit + 1, maxSize: .max) } catch {
        throw .storage("--force-new-cluster cannot read the committed log: \(error)")
      }
    }
    // The configuration at the commit index: the snapshot's, then every committed conf change.
    for entry in entries where entry.kind == .confChange {
      if let change = ConfChange(decoding: entry.data) { confState = confState.applying(change) }
    }
    let discarded = storage.lastIndex() > commit ? storage.lastIndex() - commit : 0
    let forced = ClusterBootstrap.forceNewClusterEntries(
      confState: confState, localID: memberID, commit: commit, term: hardState.term)
    let last = forced.last?.index ?? commit
    do {
      try disk.persist(Ready(
        hardState: HardState(term: hardState.term, vote: hardState.vote, commit: last), entries: forced,
        mustSync: true))
    } catch {
      throw .storage("--force-new-cluster cannot write its entries: \(error)")
    }
    log.info("forcing restart member", [
      "local-member-id": String(memberID, radix: 16), "commit-index": "\(last)",
      "discarded-uncommitted-entries": "\(discarded)",
      "removed-members": forced.compactMap { ConfChange(decoding: $0.data) }.filter { $0.type == .removeNode }
        .map { String($0.nodeID, radix: 16) }.joined(separator: ","),
    ])
  }
}
