// swift-tools-version:6.1
// swetcd: an etcd-compatible key-value server, its etcdctl-compatible client, and the tool that deploys it.
// Module boundaries follow ../shared/DESIGN.md: server modules (Raft, WAL, MVCC, PeerTransport, EtcdServer,
// EtcdAPI) and client/ops modules (EtcdClient, EtcdCtl, SSH, PKI, Ops) meet only in EtcdProto.
import PackageDescription

let grpcCore = Target.Dependency.product(name: "GRPCCore", package: "grpc-swift-2")
let grpcHTTP2 = Target.Dependency.product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")
let grpcProtobuf = Target.Dependency.product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")
let swiftProtobuf = Target.Dependency.product(name: "SwiftProtobuf", package: "swift-protobuf")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let nio: [Target.Dependency] = [
  .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
  .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
]

let package = Package(
  name: "swetcd",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "swetcd", targets: ["swetcd"]),
    .executable(name: "swetcdctl", targets: ["swetcdctl"]),
    .executable(name: "swetcd-ops", targets: ["swetcd-ops"]),
    .executable(name: "swetcd-bench", targets: ["swetcd-bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    .package(url: "https://github.com/stencilproject/Stencil.git", from: "0.15.1"),
    .package(url: "https://github.com/kylef/PathKit.git", from: "1.0.1"),
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
  ],
  targets: [
    // MARK: System libraries (Debian: libsqlite3-dev, libssh2-1-dev; scripts/setup installs them)
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                   providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CLibSSH2", path: "Sources/CLibSSH2", pkgConfig: "libssh2",
                   providers: [.apt(["libssh2-1-dev"])]),
    .systemLibrary(name: "CCrypt", path: "Sources/CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),

    // MARK: Shared leaf
    .target(name: "BuildInfo"),

    // MARK: Server side: Raft <- WAL, MVCC (SQLite) <- EtcdServer <- EtcdAPI <- swetcd
    .target(name: "Raft"),
    .target(name: "Checksum"),
    .target(name: "WAL", dependencies: ["Raft", "Checksum"]),
    // MVCC keeps its own files through SQLite; it needs nothing of the WAL, so the two build (and change) apart.
    .target(name: "MVCC", dependencies: ["CSQLite", "Checksum", .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "EtcdProto", dependencies: [swiftProtobuf, grpcCore, grpcProtobuf], exclude: ["proto"]),
    .target(name: "PeerTransport", dependencies: [
      "Raft", "Checksum", grpcCore, grpcHTTP2, .product(name: "X509", package: "swift-certificates"),
    ] + nio),
    .target(name: "EtcdServer", dependencies: [
      "Raft", "WAL", "MVCC", "PeerTransport", "BuildInfo", "EtcdProto", "CCrypt", swiftProtobuf, crypto, logging,
      .product(name: "_CryptoExtras", package: "swift-crypto"),
      .product(name: "Yams", package: "Yams"),
    ]),
    .target(name: "EtcdAPI", dependencies: [
      "EtcdServer", "EtcdProto", "PeerTransport", "PKI", "BuildInfo", grpcCore, grpcHTTP2, grpcProtobuf, swiftProtobuf,
      logging,
    ] + nio),

    // MARK: Client and operations side
    .target(name: "EtcdClient", dependencies: ["EtcdProto", grpcCore, grpcHTTP2, .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "EtcdCtl", dependencies: ["EtcdClient", "BuildInfo"]),
    .target(name: "SSH", dependencies: ["CLibSSH2", .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "PKI", dependencies: [
      .product(name: "X509", package: "swift-certificates"),
      .product(name: "SwiftASN1", package: "swift-asn1"),
      .product(name: "Crypto", package: "swift-crypto"),
    ]),
    .target(name: "Ops", dependencies: [
      "EtcdClient", "SSH", "PKI", "BuildInfo",
      .product(name: "Yams", package: "Yams"),
      .product(name: "Stencil", package: "Stencil"),
      .product(name: "PathKit", package: "PathKit"),
      .product(name: "Crypto", package: "swift-crypto"),
      logging,
    ]),

    // MARK: Entry points: parse, then call a library
    .executableTarget(name: "swetcd", dependencies: ["EtcdAPI", "BuildInfo"]),
    .executableTarget(name: "swetcdctl", dependencies: ["EtcdCtl", "BuildInfo", argumentParser]),
    .executableTarget(name: "swetcd-ops", dependencies: ["Ops", "BuildInfo", argumentParser]),
    .executableTarget(name: "swetcd-bench", dependencies: ["EtcdClient", "Raft", "WAL", "MVCC", "BuildInfo", argumentParser]),

    // MARK: Tests (Swift Testing)
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "EtcdServerTests", dependencies: ["EtcdServer", "MVCC", "TestSupport"]),
    .testTarget(name: "EtcdProtoTests", dependencies: ["EtcdProto", "EtcdClient", "TestSupport", grpcCore, grpcHTTP2]),
    .testTarget(name: "PeerTransportTests", dependencies: ["PeerTransport", "Raft", "TestSupport", "PKI", grpcCore, grpcHTTP2]),
    .testTarget(name: "RaftTests", dependencies: ["Raft"], exclude: ["Scenarios"]),
    .testTarget(name: "WALTests", dependencies: ["WAL", "Raft", "Checksum", "TestSupport", "swetcd-bench"]),
    .testTarget(name: "MVCCTests", dependencies: ["MVCC", "Raft", "Checksum", "TestSupport", "swetcd-bench"]),
    .testTarget(name: "EtcdClientTests", dependencies: ["EtcdClient", "TestSupport"]),
    .testTarget(name: "SSHTests", dependencies: ["SSH", "TestSupport"]),
    .testTarget(name: "PKITests", dependencies: ["PKI", "TestSupport"]),
    .testTarget(name: "OpsTests", dependencies: ["Ops", "EtcdClient", "TestSupport", "swetcd-ops"]),
    .testTarget(name: "ServerWireTests", dependencies: ["EtcdAPI", "EtcdServer", "TestSupport", grpcCore, grpcHTTP2]),
    .testTarget(name: "CLITests", dependencies: [
      "TestSupport", "BuildInfo", "PKI", "swetcd", "swetcdctl", "swetcd-ops", "swetcd-bench",
    ]),
    .testTarget(name: "EtcdAPITests", dependencies: ["EtcdAPI", "EtcdClient", "EtcdProto", "PKI", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
