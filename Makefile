# The two commands of the README, and a few helpers. Swift lives at /opt/swift on our machines.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift

.PHONY: demo test build setup proto clean

## demo: set up, build, and deploy the local 3-member cluster (inventories/local.yml)
demo: build
	scripts/demo

## test: set up, build, and run the whole test suite, in three phases. Swift Testing runs synchronous tests on the
## 2-thread cooperative pool of a 2-core machine, so suites of synchronous CPU- or process-bound tests (Raft
## simulations, WAL, MVCC, the server's config and auth tests, which run etcd and bcrypt) would hold both threads
## while the network suites' 5 s call timeouts fire: a CI run lost 14 real-etcd tests while two Raft simulations
## ran, and a run lost 2 in-process listener tests while the config and auth suites ran. They run on their own.
## The process suites (CLITests: the swetcd process beside the real etcd, etcdctl, Python clients, a 2-minute idle
## watch) start many processes at once and run in a phase of their own too.
CPU_SUITES := ^(RaftTests|WALTests|MVCCTests|EtcdServerTests)\.
PROCESS_SUITES := ^CLITests\.
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest --skip '$(CPU_SUITES)' --skip '$(PROCESS_SUITES)'
	$(SWIFT) test --disable-xctest --filter '$(PROCESS_SUITES)'
	$(SWIFT) test --disable-xctest --filter '$(CPU_SUITES)'

build: setup
	$(SWIFT) build

setup:
	scripts/setup

## proto: regenerate Sources/EtcdProto/Generated (needs protobuf-compiler; not part of the normal build)
proto:
	scripts/setup --proto
	scripts/gen-proto

clean:
	rm -rf .build
