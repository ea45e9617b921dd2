// Entry point of the Kotlin tests, compiled into one jar (so that the JVM starts once and no
// script is compiled per run): the vectors, hostile input, registration with the primitives,
// the conversation through the state machines, and a foreign store.
package blindpost.tests

import kotlin.system.exitProcess

fun main() {
    var ok = true
    for (suite in listOf(
        ::phase1VectorsTests, ::phase1HostileTests, ::phase1RegistrationTests,
        ::conversationTests, ::vectorsGroupsTokensTests, ::hostileProtocolTests, ::storeTests,
    )) {
        ok = try {
            suite() && ok
        } catch (e: Throwable) {
            println("FAIL kotlin: a suite could not run: $e")
            e.printStackTrace(System.out)
            false
        }
    }
    exitProcess(if (ok) 0 else 1)
}
