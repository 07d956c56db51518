// Module WAL: the segmented write-ahead log and snapshot files (CRC-chained records, torn-tail repair), all IO through a FileSystem protocol.
// It holds no code yet: issue 6 builds it.
