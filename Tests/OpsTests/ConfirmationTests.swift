import Testing
@testable import Ops

@Suite struct ConfirmationTests {
  @Test func withoutATerminalADestructiveStepIsRefusedUnlessYesIsGiven() throws {
    let noTerminal = Confirmation(assumeYes: false, stdinIsTerminal: false, readAnswer: { "yes" })
    #expect(throws: OpsError.self) { try noTerminal.require("remove member host3") }
    do {
      try noTerminal.require("remove member host3")
    } catch {
      #expect(error.description.contains("refusing to remove member host3 because stdin is not a terminal"))
      #expect(error.description.contains("--yes"))
    }
    try Confirmation(assumeYes: true, stdinIsTerminal: false, readAnswer: { nil }).require("remove member host3")
  }

  @Test func onATerminalOnlyTheWordYesGoesAhead() throws {
    try Confirmation(assumeYes: false, stdinIsTerminal: true, readAnswer: { " YES " }).require("restore")
    #expect(throws: OpsError.self) { try Confirmation(assumeYes: false, stdinIsTerminal: true, readAnswer: { "y" }).require("restore") }
    #expect(throws: OpsError.self) { try Confirmation(assumeYes: false, stdinIsTerminal: true, readAnswer: { nil }).require("restore") }
  }
}

@Suite struct QuorumMathTests {
  @Test func quorumIsAMajorityOfVotersAndTheRestMayFail() {
    let expected: [(Int, Int, Int)] = [(1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 3, 2), (6, 4, 2), (7, 4, 3)]
    for (voters, quorum, tolerates) in expected {
      let math = QuorumMath(voters: voters)
      #expect(math.quorum == quorum && math.tolerates == tolerates, "\(voters) voters")
    }
    #expect(QuorumMath(voters: 3).description == "3 voters, quorum 2, tolerates 1 failure")
    #expect(QuorumMath(voters: 1).description == "1 voter, quorum 1, tolerates 0 failures")
    #expect(QuorumMath(voters: 3).holds(healthy: 2) && !QuorumMath(voters: 3).holds(healthy: 1))
  }
}
