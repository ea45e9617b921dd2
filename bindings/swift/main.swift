// Entry point of the Swift binding tests (bindings/run-tests.sh compiles it with the generated
// bindings and the other files of this folder, and runs it inside the Debian trixie root).

#if canImport(Glibc)
import Glibc
#endif

var ok = true
for suite in [
    vectorTests, hostileTests, registrationTests,
    conversationTests, vectorsGroupsTokensTests, hostileProtocolTests, storeTests,
] {
    do {
        ok = try suite() && ok
    } catch {
        print("FAIL swift: a suite could not run: \(error)")
        ok = false
    }
}
exit(ok ? 0 : 1)
