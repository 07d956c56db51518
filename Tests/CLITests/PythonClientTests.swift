import Foundation
import Testing
import TestSupport

/// Python clients from PyPI against the real `swetcd`: etcd3 (gRPC) does put/get/watch/lease/txn/lock; etcd3gw
/// does put/get/lease/txn through the JSON gateway. The venv is made under /tmp once per requirements set and reused
/// (the tests run one at a time, so they never build it together); without PyPI the test fails and says so.
@Suite(.serialized, .enabled(if: ChildProcess.which("python3") != nil, "needs python3"))
struct PythonClientTests {
  /// etcd3 0.12 needs tenacity 6.x (its lock retries use the old wait signature; 5.x breaks on Python 3.11) and
  /// the pure-Python protobuf (its generated code predates protobuf 4: PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python).
  static let requirements = "etcd3==0.12.0\netcd3gw==2.7.0\ntenacity==6.3.1\n"

  /// A venv with the requirements, cached under /tmp by their hash.
  static func venv() async throws -> String {
    // FNV-1a of the requirements: a new set gets a new venv.
    let digest = String(requirements.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 },
                        radix: 16)
    let directory = "/tmp/swetcd-pyclients-\(digest)"
    if FileManager.default.fileExists(atPath: directory + "/ready") { return directory }
    try? FileManager.default.removeItem(atPath: directory)
    let made = try await ChildProcess.runDetached("/usr/bin/env", ["python3", "-m", "venv", directory], timeout: 120)
    try #require(made.status == 0, "python3 -m venv failed (apt-get install python3-venv): \(made.stderr)")
    try requirements.write(toFile: directory + "/requirements.txt", atomically: true, encoding: .utf8)
    let pip = try await ChildProcess.runDetached(directory + "/bin/pip", ["install", "-q", "-r", directory + "/requirements.txt"],
                                                 timeout: 400)
    try #require(pip.status == 0, "pip install from PyPI failed (is PyPI reachable?): \(pip.stderr.suffix(1500))")
    FileManager.default.createFile(atPath: directory + "/ready", contents: nil)
    return directory
  }

  @Test func etcd3ClientDoesPutGetWatchLeaseTxnAndLock() async throws {
    let venv = try await Self.venv()
    let server = try await SwetcdServer.start()
    let script = server.directory + "/etcd3_check.py"
    try Self.etcd3Script.write(toFile: script, atomically: true, encoding: .utf8)
    let port = String(server.clientURL.split(separator: ":").last!)
    let out = try await ChildProcess.runDetached(
      venv + "/bin/python", [script, "127.0.0.1", port, "py"],
      environment: ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python", "PATH": "/usr/bin:/bin"], timeout: 120)
    await server.stopped()
    #expect(out.status == 0 && out.stdout.contains("ALL OK"), "\(out.stdout)\n\(out.stderr)")
  }

  @Test func etcd3gwClientDoesPutGetLeaseAndTxnThroughTheGateway() async throws {
    let venv = try await Self.venv()
    let server = try await SwetcdServer.start()
    let script = server.directory + "/etcd3gw_check.py"
    try Self.etcd3gwScript.write(toFile: script, atomically: true, encoding: .utf8)
    let port = String(server.clientURL.split(separator: ":").last!)
    let out = try await ChildProcess.runDetached(venv + "/bin/python", [script, "127.0.0.1", port, "gw"],
                                                 environment: ["PATH": "/usr/bin:/bin"], timeout: 120)
    await server.stopped()
    #expect(out.status == 0 && out.stdout.contains("ALL OK"), "\(out.stdout)\n\(out.stderr)")
  }

  static let etcd3Script = #"""
"""etcd3 (gRPC) against an etcd-compatible endpoint: put/get/watch/lease/txn/lock. Prints OK lines; exits 1 on a mismatch."""
import sys, threading, time
import etcd3

host, port, p = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = etcd3.client(host=host, port=port, timeout=10)
def check(cond, what):
    if not cond:
        print("FAIL " + what); sys.exit(1)
    print("OK " + what)

c.put(p + "/a", "1")
value, meta = c.get(p + "/a")
check(value == b"1" and meta.key == p.encode() + b"/a" and meta.version == 1, "put/get")
c.put(p + "/b", "2")
check(sorted(v for v, _ in c.get_prefix(p + "/")) == [b"1", b"2"], "get_prefix")

events, cancel = c.watch_prefix(p + "/w")
def writer():
    time.sleep(0.5); c.put(p + "/w1", "x"); c.delete(p + "/w1")
threading.Thread(target=writer).start()
seen = []
for event in events:
    seen.append(type(event).__name__)
    if len(seen) == 2: break
cancel()
check(seen == ["PutEvent", "DeleteEvent"], "watch " + str(seen))

lease = c.lease(30)
c.put(p + "/leased", "v", lease=lease)
check(lease.remaining_ttl > 0 and lease.granted_ttl == 30, "lease grant/ttl")
check(list(lease.keys) == [p.encode() + b"/leased"], "lease keys")
lease.refresh()
lease.revoke()
check(c.get(p + "/leased")[0] is None, "lease revoke removes keys")

ok, responses = c.transaction(
    compare=[c.transactions.value(p + "/a") == "1"],
    success=[c.transactions.put(p + "/a", "2"), c.transactions.get(p + "/b")],
    failure=[c.transactions.put(p + "/a", "failed")])
check(ok and c.get(p + "/a")[0] == b"2", "txn success branch")
ok, _ = c.transaction(compare=[c.transactions.version(p + "/a") == 99], success=[], failure=[c.transactions.put(p + "/f", "1")])
check(not ok and c.get(p + "/f")[0] == b"1", "txn failure branch")

lock = c.lock(p + "-lock", ttl=10)
check(lock.acquire(timeout=5), "lock acquire")
other = c.lock(p + "-lock", ttl=10)
check(not other.acquire(timeout=1), "lock is exclusive")
lock.release()
check(other.acquire(timeout=5), "lock handed over")
other.release()
status = c.status()
check(status.version.startswith("3.4"), "status " + status.version)
print("ALL OK")
"""#

  static let etcd3gwScript = #"""
"""etcd3gw (JSON gateway) against an etcd-compatible endpoint: put/get/prefix/lease/txn/watch."""
import sys, threading, time
from etcd3gw.client import Etcd3Client

host, port, p = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = Etcd3Client(host=host, port=port, api_path="/v3/")
def check(cond, what):
    if not cond:
        print("FAIL " + what); sys.exit(1)
    print("OK " + what)

check(c.put(p + "/a", "1"), "put")
check(c.get(p + "/a") == [b"1"], "get")
c.put(p + "/b", "2")
check(sorted(v for v, _ in c.get_prefix(p + "/")) == [b"1", b"2"], "get_prefix")
lease = c.lease(30)
c.put(p + "/leased", "v", lease=lease)
check(lease.ttl() > 0, "lease ttl")
check(lease.keys() == [(p + "/leased").encode()], "lease keys")
check(lease.refresh() > 0, "lease refresh")
check(lease.revoke(), "lease revoke")
check(c.get(p + "/leased") == [], "lease revoke removes keys")
check(c.replace(p + "/a", "1", "2") and c.get(p + "/a") == [b"2"], "txn compare-and-swap")
check(not c.replace(p + "/a", "1", "3"), "txn compare fails")
events, cancel = c.watch_prefix(p + "/w")
threading.Thread(target=lambda: (time.sleep(0.5), c.put(p + "/w1", "x"))).start()
for event in events:
    check(event["kv"]["key"] == (p + "/w1").encode(), "watch")
    break
cancel()
check(c.status()["version"].startswith("3.4"), "status")
print("ALL OK")
"""#
}
