# The two commands of the README, and a few helpers. Swift lives at /opt/swift on our machines.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift

.PHONY: demo test build setup proto clean

## demo: set up, build, and deploy the local 3-member cluster (inventories/local.yml)
demo: build
	scripts/demo

## test: set up, build, and run the whole test suite, in two phases: the storage suites (WAL, MVCC) are CPU-bound
## synchronous tests that would hold the 2-thread cooperative pool for minutes, starving the timed network calls of
## every other suite; they run on their own after the rest.
STORAGE_SUITES := ^(WALTests|MVCCTests)\.
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest --skip '$(STORAGE_SUITES)'
	$(SWIFT) test --disable-xctest --filter '$(STORAGE_SUITES)'

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
