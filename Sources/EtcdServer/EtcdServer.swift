// Module EtcdServer: the member: Ready loop, appliers, membership, auth store, bootstrap, configuration (flags/env/YAML).
// It holds no code yet: issues 7 and 8 build it.
