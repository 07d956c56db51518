// Module WAL: the segmented write-ahead log and snapshot files (CRC-chained records, torn-tail repair), all IO
// through a FileSystem protocol. Issue 6 builds it.

/// The module's name, for diagnostics.
public enum WALModule {
  public static let name = "WAL"
}
