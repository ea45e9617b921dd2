// Support for the Kotlin binding tests (../tests/*.kt, compiled with it into one jar): a small JSON
// reader for the files of test-vectors/ (no JSON library is on the classpath), hex helpers, the
// kind of a BlindpostException, and a tiny test runner that counts checks and fails the process
// on the first broken one.
package blindpost.testsupport

import uniffi.blindpost.*
import java.io.File
import kotlin.reflect.KClass
import kotlin.system.exitProcess

/** A parsed JSON value: null, Boolean, String, Number (as the literal's text), List or Map. */
sealed class Json {
    object Null : Json()
    data class Bool(val value: Boolean) : Json()
    data class Str(val value: String) : Json()
    /** A number kept as its literal text, so that 64-bit unsigned values survive. */
    data class Num(val text: String) : Json()
    data class Arr(val items: List<Json>) : Json()
    data class Obj(val fields: Map<String, Json>) : Json()

    operator fun get(key: String): Json =
        (this as? Obj)?.fields?.get(key) ?: throw IllegalArgumentException("no field '$key' in $this")

    operator fun get(index: Int): Json = (this as Arr).items[index]

    fun has(key: String): Boolean = (this as? Obj)?.fields?.containsKey(key) ?: false

    val isNull: Boolean get() = this is Null
    val str: String get() = (this as Str).value
    val strOrNull: String? get() = if (this is Null) null else str
    val bool: Boolean get() = (this as Bool).value
    val list: List<Json> get() = (this as Arr).items
    val uLong: ULong get() = (this as Num).text.toULong()
    val int: Int get() = (this as Num).text.toInt()
    val hex: ByteArray get() = str.hexToBytes()

    companion object {
        fun parse(text: String): Json {
            val p = Parser(text)
            val v = p.value()
            p.skipSpace()
            require(p.pos == text.length) { "trailing characters at ${p.pos}" }
            return v
        }

        fun file(name: String): Json {
            val dir = System.getenv("BLINDPOST_VECTORS") ?: "test-vectors"
            return parse(File(dir, name).readText(Charsets.UTF_8))
        }
    }
}

private class Parser(val s: String) {
    var pos = 0

    fun skipSpace() {
        while (pos < s.length && s[pos] in " \t\r\n") pos++
    }

    fun value(): Json {
        skipSpace()
        require(pos < s.length) { "unexpected end of JSON" }
        return when (s[pos]) {
            '{' -> obj()
            '[' -> arr()
            '"' -> Json.Str(string())
            't' -> literal("true", Json.Bool(true))
            'f' -> literal("false", Json.Bool(false))
            'n' -> literal("null", Json.Null)
            else -> number()
        }
    }

    fun literal(word: String, v: Json): Json {
        require(s.startsWith(word, pos)) { "bad literal at $pos" }
        pos += word.length
        return v
    }

    fun number(): Json {
        val start = pos
        while (pos < s.length && (s[pos].isDigit() || s[pos] in "+-.eE")) pos++
        require(pos > start) { "unexpected '${s[start]}' at $start" }
        return Json.Num(s.substring(start, pos))
    }

    fun string(): String {
        require(s[pos] == '"')
        pos++
        val out = StringBuilder()
        while (true) {
            require(pos < s.length) { "unterminated string" }
            val c = s[pos++]
            when (c) {
                '"' -> return out.toString()
                '\\' -> {
                    val e = s[pos++]
                    when (e) {
                        '"', '\\', '/' -> out.append(e)
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000c')
                        'n' -> out.append('\n')
                        'r' -> out.append('\r')
                        't' -> out.append('\t')
                        'u' -> {
                            out.append(s.substring(pos, pos + 4).toInt(16).toChar())
                            pos += 4
                        }
                        else -> throw IllegalArgumentException("bad escape \\$e")
                    }
                }
                else -> out.append(c)
            }
        }
    }

    fun arr(): Json {
        pos++
        val items = mutableListOf<Json>()
        skipSpace()
        if (s[pos] == ']') { pos++; return Json.Arr(items) }
        while (true) {
            items.add(value())
            skipSpace()
            when (s[pos++]) {
                ',' -> continue
                ']' -> return Json.Arr(items)
                else -> throw IllegalArgumentException("expected , or ] at ${pos - 1}")
            }
        }
    }

    fun obj(): Json {
        pos++
        val fields = LinkedHashMap<String, Json>()
        skipSpace()
        if (s[pos] == '}') { pos++; return Json.Obj(fields) }
        while (true) {
            skipSpace()
            val key = string()
            skipSpace()
            require(s[pos++] == ':') { "expected : at ${pos - 1}" }
            fields[key] = value()
            skipSpace()
            when (s[pos++]) {
                ',' -> continue
                '}' -> return Json.Obj(fields)
                else -> throw IllegalArgumentException("expected , or } at ${pos - 1}")
            }
        }
    }
}

fun String.hexToBytes(): ByteArray {
    require(length % 2 == 0) { "odd-length hex" }
    return ByteArray(length / 2) { i -> substring(2 * i, 2 * i + 2).toInt(16).toByte() }
}

fun ByteArray.hex(): String = joinToString("") { "%02x".format(it) }

/** The error's kind (DecodeErrorKind or a domain's kind); null for the two variants without. */
val BlindpostException.kind: Any?
    get() = when (this) {
        is BlindpostException.Malformed -> kind
        is BlindpostException.Bls -> kind
        is BlindpostException.Certificate -> kind
        is BlindpostException.Code -> kind
        is BlindpostException.Group -> kind
        is BlindpostException.BlindRsa -> kind
        is BlindpostException.Token -> kind
        is BlindpostException.Client -> kind
        is BlindpostException.Server -> kind
        is BlindpostException.Store -> kind
        is BlindpostException.EndToEnd -> kind
        is BlindpostException.Randomness, is BlindpostException.RequestTooLarge -> null
    }

/** A kind's variant name in upper snake case, as Python spells it: `TRUNCATED`, `WRONG_GENERATION`. */
fun kindName(kind: Any): String =
    if (kind is Enum<*>) kind.name
    else kind::class.simpleName!!.replace(Regex("(?<!^)(?=[A-Z])"), "_").uppercase()

/** A kind's name as the vector files write it (SPEC 2.7): `truncated`, `wrong_generation`. */
fun vectorName(kind: Any): String = kindName(kind).lowercase()

/** Counts checks, runs named tests, and exits non-zero if any failed. */
class Tests(private val suite: String) {
    private var passed = 0
    private var failed = 0
    var checks = 0
        private set

    fun test(name: String, body: () -> Unit) {
        try {
            body()
            passed++
            println("ok   $suite: $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $suite: $name: $e")
            e.printStackTrace(System.out)
        }
    }

    fun check(condition: Boolean, what: () -> String) {
        checks++
        if (!condition) throw AssertionError(what())
    }

    fun <T> eq(expected: T, actual: T, what: String) {
        check(expected == actual) { "$what: expected <$expected>, got <$actual>" }
    }

    /** Runs [body], which must throw an exception of type [E]; returns it. */
    inline fun <reified E : Throwable> throws(what: String, body: () -> Unit): E {
        try {
            body()
        } catch (e: Throwable) {
            check(e is E) { "$what: expected ${E::class.simpleName}, got $e" }
            return e as E
        }
        check(false) { "$what: expected ${E::class.simpleName}, nothing was thrown" }
        throw IllegalStateException("unreachable")
    }

    /**
     * Runs [body], which must throw the BlindpostException variant [E] with [kind]: a kind's
     * value (`BlsErrorKind.IkmTooShort(31uL)`, `DecodeErrorKind.TRUNCATED`, compared with
     * `==`) or, where its fields do not matter, its class (`CertificateErrorKind.Expired::class`).
     */
    inline fun <reified E : BlindpostException> throws(what: String, kind: Any, body: () -> Unit): E {
        val e = throws<E>(what, body)
        val actual = (e as BlindpostException).kind
        val ok = if (kind is KClass<*>) kind.isInstance(actual) else kind == actual
        check(ok) { "$what: expected kind $kind, got $actual ($e)" }
        return e
    }

    /** Prints the summary; true if every test passed. */
    fun done(): Boolean {
        println("$suite: $passed passed, $failed failed ($checks checks)")
        return failed == 0 && passed > 0
    }

    fun finish() {
        if (!done()) exitProcess(1)
    }
}
