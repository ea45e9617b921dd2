// The binding test suites as XCTest cases, one per suite (`swift test` in the app package).
// Each suite prints its checks and returns whether all passed.

import XCTest

final class BlindpostTests: XCTestCase {
    func testVectors() throws { XCTAssertTrue(try vectorTests()) }
    func testHostileInput() throws { XCTAssertTrue(try hostileTests()) }
    func testRegistration() throws { XCTAssertTrue(try registrationTests()) }
    func testConversation() throws { XCTAssertTrue(try conversationTests()) }
    func testVectorsGroupsTokens() throws { XCTAssertTrue(try vectorsGroupsTokensTests()) }
    func testHostileProtocol() throws { XCTAssertTrue(try hostileProtocolTests()) }
    func testForeignStore() throws { XCTAssertTrue(try storeTests()) }
}
