# The two commands of the README, and a few helpers. Swift lives at /opt/swift on our machines.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift

.PHONY: demo test build setup proto clean

## demo: set up, build, and deploy the local 3-member cluster (inventories/local.yml)
demo: build
	scripts/demo

## test: set up, build, and run the whole test suite, in two phases. The CPU-bound suites (Raft simulations, WAL,
## MVCC) are synchronous tests, which Swift Testing runs on the 2-thread cooperative pool of a 2-core machine; next to
## the network suites they hold both threads for tens of seconds and the network suites' 5 s call timeouts fire (a CI
## run lost 14 real-etcd tests that way while two Raft simulations ran). So they run in a phase of their own.
CPU_SUITES := ^(RaftTests|WALTests|MVCCTests)\.
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest --skip '$(CPU_SUITES)'
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
