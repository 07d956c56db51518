import Testing
import WAL

/// Placeholder removed by the WAL work: keeps the WALTests target non-empty until then.
@Suite struct WALModuleLinksTests {
  @Test func walModuleImports() {
    #expect(WALModule.name == "WAL")
  }
}
