package groovy

// Prelude is the Groovy code that [Translate] output relies on: imports,
// fields and helper methods named lg*, which give Groovy values the
// semantics expr-lang gives Go values. It must come first in a script
// (it starts with imports); [Script] includes it.
//
// Value model: expr nil, bool, int, float64 and string are null, Boolean,
// Long, Double and String; arrays are Lists; a JSON object is a
// LinkedHashMap; headers (a Go map[string]string) is an unmodifiable Map,
// told apart from JSON objects by its class because expr compares maps of
// different Go types as unequal and yields "" rather than nil for a
// missing key of a map[string]string. JSON numbers are all Doubles, as
// they are float64s in Go. Every helper either returns what expr returns
// or throws where expr fails at run time; a throw fails the check, as an
// expr run-time error fails it in loadgen.
const Prelude = `import groovy.transform.CompileStatic
import groovy.transform.Field
import java.nio.charset.StandardCharsets
import java.util.concurrent.ConcurrentHashMap
import java.util.regex.Pattern

// Helpers for check expressions translated from expr-lang by loadgen.

@Field static final Object LG_STOP = new Object()
@Field static final Class LG_SMAP = Collections.unmodifiableMap(new HashMap()).getClass()
@Field static final ConcurrentHashMap<String, Pattern> LG_RE = new ConcurrentHashMap<String, Pattern>()
@Field long lgMem = 0L

@CompileStatic
static RuntimeException lgErr(String msg) {
    return new IllegalStateException(msg)
}

@CompileStatic
static String lgType(Object v) {
    if (v == null) return 'nil'
    if (v instanceof Long) return 'int'
    if (v instanceof Double) return 'float64'
    if (v instanceof String) return 'string'
    if (v instanceof Boolean) return 'bool'
    if (v instanceof List) return '[]interface {}'
    if (v instanceof Map) return v.getClass() == LG_SMAP ? 'map[string]string' : 'map[string]interface {}'
    return v.getClass().getName()
}

// lgTB is a bool operand of not, and, or and ?: (expr panics on anything else, nil included).
@CompileStatic
static boolean lgTB(Object v) {
    if (v instanceof Boolean) return ((Boolean) v).booleanValue()
    throw lgErr('interface conversion: interface {} is ' + lgType(v) + ', not bool')
}

// lgBool is the check's result: expr.AsBool casts nil to false.
@CompileStatic
static boolean lgBool(Object v) {
    if (v == null) return false
    return lgTB(v)
}

@CompileStatic
static Boolean lgNot(Object v) {
    return !lgTB(v)
}

@CompileStatic
static boolean lgNum(Object v) {
    return v instanceof Long || v instanceof Double
}

@CompileStatic
static double lgD(Object v) {
    if (v instanceof Long) return (double) ((Long) v).longValue()
    return ((Double) v).doubleValue()
}

@CompileStatic
static String lgS(Object v) {
    if (v instanceof String) return (String) v
    throw lgErr('interface conversion: interface {} is ' + lgType(v) + ', not string')
}

// lgEq is runtime.Equal: numbers by value (int against float as float64),
// arrays element by element, maps with reflect.DeepEqual.
@CompileStatic
static boolean lgEq(Object a, Object b) {
    if (a instanceof Long) {
        if (b instanceof Long) return ((Long) a).longValue() == ((Long) b).longValue()
        if (b instanceof Double) return ((double) ((Long) a).longValue()) == ((Double) b).doubleValue()
        return false
    }
    if (a instanceof Double) {
        if (lgNum(b)) return ((Double) a).doubleValue() == lgD(b)
        return false
    }
    if (a instanceof String) return b instanceof String && ((String) a).equals(b)
    if (a instanceof Boolean) return b instanceof Boolean && ((Boolean) a).booleanValue() == ((Boolean) b).booleanValue()
    if (a == null) return b == null
    if (a instanceof List || a instanceof Map) return lgEqDeep(a, b, a instanceof Map)
    return false
}

// lgEqI and lgEqS are == where both sides are typed int or string, which
// expr compiles to a type assertion (failing on nil) and a comparison.
@CompileStatic
static boolean lgEqI(Object a, Object b) {
    if (!(a instanceof Long)) throw lgErr('interface conversion: interface {} is ' + lgType(a) + ', not int')
    if (!(b instanceof Long)) throw lgErr('interface conversion: interface {} is ' + lgType(b) + ', not int')
    return ((Long) a).longValue() == ((Long) b).longValue()
}

@CompileStatic
static boolean lgEqS(Object a, Object b) {
    return lgS(a).equals(lgS(b))
}

// lgDeep is reflect.DeepEqual on JSON values and headers.
@CompileStatic
static boolean lgDeep(Object a, Object b) {
    return lgEqDeep(a, b, true)
}

// lgEqDeep compares nested arrays and maps without recursion (a document
// nests up to 10000 levels): runtime.Equal at the top of arrays, and
// reflect.DeepEqual from the first map down.
@CompileStatic
static boolean lgEqDeep(Object a0, Object b0, boolean deep0) {
    ArrayList<Object[]> work = new ArrayList<Object[]>()
    work.add([a0, b0, Boolean.valueOf(deep0)] as Object[])
    while (!work.isEmpty()) {
        Object[] w = work.remove(work.size() - 1)
        Object a = w[0]
        Object b = w[1]
        boolean deep = ((Boolean) w[2]).booleanValue()
        if (a instanceof List) {
            if (!(b instanceof List)) return false
            List x = (List) a
            List y = (List) b
            if (x.size() != y.size()) return false
            for (int i = 0; i < x.size(); i++) work.add([x.get(i), y.get(i), Boolean.valueOf(deep)] as Object[])
        } else if (a instanceof Map) {
            if (!(b instanceof Map)) return false
            if ((a.getClass() == LG_SMAP) != (b.getClass() == LG_SMAP)) return false
            if (a.is(b)) continue
            Map x = (Map) a
            Map y = (Map) b
            if (x.size() != y.size()) return false
            for (Object k : x.keySet()) {
                if (!y.containsKey(k)) return false
                work.add([x.get(k), y.get(k), Boolean.TRUE] as Object[])
            }
        } else if (!deep) {
            if (!lgEq(a, b)) return false
        } else if (a == null || b == null) {
            if (a != null || b != null) return false
        } else if (a instanceof Double) {
            if (!(b instanceof Double) || ((Double) a).doubleValue() != ((Double) b).doubleValue()) return false
        } else if (a instanceof Long) {
            if (!(b instanceof Long) || ((Long) a).longValue() != ((Long) b).longValue()) return false
        } else if (a.getClass() != b.getClass() || !a.equals(b)) {
            return false
        }
    }
    return true
}

// lgSC compares strings by code point, which is Go's byte-wise UTF-8 order.
@CompileStatic
static int lgSC(String a, String b) {
    int i = 0
    int j = 0
    while (i < a.length() && j < b.length()) {
        int x = a.codePointAt(i)
        int y = b.codePointAt(j)
        if (x != y) return x < y ? -1 : 1
        i += Character.charCount(x)
        j += Character.charCount(y)
    }
    if (i < a.length()) return 1
    if (j < b.length()) return -1
    return 0
}

// lgCmp orders two numbers or two strings: -1, 0, 1, or 2 when unordered (NaN).
@CompileStatic
static int lgCmp(Object a, Object b, String op) {
    if (a instanceof Long && b instanceof Long) return Long.compare(((Long) a).longValue(), ((Long) b).longValue())
    if (lgNum(a) && lgNum(b)) {
        // Groovy's < on doubles orders NaN like Double.compareTo: test it first.
        double x = lgD(a)
        double y = lgD(b)
        if (Double.isNaN(x) || Double.isNaN(y)) return 2
        if (x == y) return 0
        return x < y ? -1 : 1
    }
    if (a instanceof String && b instanceof String) return lgSC((String) a, (String) b)
    throw lgErr('invalid operation: ' + lgType(a) + ' ' + op + ' ' + lgType(b))
}

@CompileStatic
static boolean lgLt(Object a, Object b) {
    return lgCmp(a, b, '<') == -1
}

@CompileStatic
static boolean lgGt(Object a, Object b) {
    return lgCmp(a, b, '>') == 1
}

@CompileStatic
static boolean lgLe(Object a, Object b) {
    int c = lgCmp(a, b, '<=')
    return c == -1 || c == 0
}

@CompileStatic
static boolean lgGe(Object a, Object b) {
    int c = lgCmp(a, b, '>=')
    return c == 1 || c == 0
}

@CompileStatic
static Object lgAdd(Object a, Object b) {
    if (a instanceof Long && b instanceof Long) return Long.valueOf(((Long) a).longValue() + ((Long) b).longValue())
    if (lgNum(a) && lgNum(b)) return Double.valueOf(lgD(a) + lgD(b))
    if (a instanceof String && b instanceof String) return ((String) a).concat((String) b)
    throw lgErr('invalid operation: ' + lgType(a) + ' + ' + lgType(b))
}

@CompileStatic
static Object lgSub(Object a, Object b) {
    if (a instanceof Long && b instanceof Long) return Long.valueOf(((Long) a).longValue() - ((Long) b).longValue())
    if (lgNum(a) && lgNum(b)) return Double.valueOf(lgD(a) - lgD(b))
    throw lgErr('invalid operation: ' + lgType(a) + ' - ' + lgType(b))
}

@CompileStatic
static Object lgMul(Object a, Object b) {
    if (a instanceof Long && b instanceof Long) return Long.valueOf(((Long) a).longValue() * ((Long) b).longValue())
    if (lgNum(a) && lgNum(b)) return Double.valueOf(lgD(a) * lgD(b))
    throw lgErr('invalid operation: ' + lgType(a) + ' * ' + lgType(b))
}

// lgDiv is expr's "/": always float64 division.
@CompileStatic
static Object lgDiv(Object a, Object b) {
    if (lgNum(a) && lgNum(b)) return Double.valueOf(lgD(a) / lgD(b))
    throw lgErr('invalid operation: ' + lgType(a) + ' / ' + lgType(b))
}

// lgMod is expr's "%": ints only, truncated like Go's and Java's.
@CompileStatic
static Object lgMod(Object a, Object b) {
    if (a instanceof Long && b instanceof Long) {
        long y = ((Long) b).longValue()
        if (y == 0L) throw lgErr('runtime error: integer divide by zero')
        return Long.valueOf(((Long) a).longValue() % y)
    }
    throw lgErr('invalid operation: ' + lgType(a) + ' % ' + lgType(b))
}

@CompileStatic
static Object lgPow(Object a, Object b) {
    if (lgNum(a) && lgNum(b)) return Double.valueOf(Math.pow(lgD(a), lgD(b)))
    throw lgErr('invalid operation: float(' + lgType(lgNum(a) ? b : a) + ')')
}

@CompileStatic
static Object lgNeg(Object a) {
    if (a instanceof Long) return Long.valueOf(-((Long) a).longValue())
    if (a instanceof Double) return Double.valueOf(-((Double) a).doubleValue())
    throw lgErr('invalid operation: - ' + lgType(a))
}

// lgLen is expr's len: runes of a string, elements of an array or map.
@CompileStatic
static Object lgLen(Object v) {
    if (v instanceof String) {
        String s = (String) v
        return Long.valueOf(s.codePointCount(0, s.length()))
    }
    if (v instanceof List) return Long.valueOf(((List) v).size())
    if (v instanceof Map) return Long.valueOf(((Map) v).size())
    throw lgErr('invalid argument for len (type ' + lgType(v) + ')')
}

// lgToInt is runtime.ToInt (a float64 out of int64 range gives MinInt64, as on amd64).
@CompileStatic
static long lgToInt(Object k) {
    if (k instanceof Long) return ((Long) k).longValue()
    if (k instanceof Double) {
        double d = ((Double) k).doubleValue()
        if (Double.isNaN(d) || d >= 9.223372036854775807E18d || d < -9.223372036854775808E18d) return Long.MIN_VALUE
        return (long) d
    }
    throw lgErr('invalid operation: int(' + lgType(k) + ')')
}

// lgKey is a map key: nil looks up "", anything but a string fails.
@CompileStatic
static String lgKey(Object k) {
    if (k == null) return ''
    if (k instanceof String) return (String) k
    throw lgErr('reflect.Value.MapIndex: value of type ' + lgType(k) + ' is not assignable to type string')
}

// lgGet is runtime.Fetch: b.k and b[k].
@CompileStatic
static Object lgGet(Object b, Object k) {
    if (b.is(LG_STOP)) return LG_STOP
    if (b instanceof Map) {
        Object v = ((Map) b).get(lgKey(k))
        if (v == null && b.getClass() == LG_SMAP) return ''
        return v
    }
    if (b instanceof List) {
        List l = (List) b
        long i = lgToInt(k)
        if (i < 0L) i += l.size()
        if (i < 0L || i >= l.size()) throw lgErr('index out of range: ' + i + ' (array length is ' + l.size() + ')')
        return l.get((int) i)
    }
    if (b instanceof String) {
        byte[] s = ((String) b).getBytes(StandardCharsets.UTF_8)
        long i = lgToInt(k)
        if (i < 0L) i += s.length
        if (i < 0L || i >= s.length) throw lgErr('index out of range: ' + i + ' (array length is ' + s.length + ')')
        return Long.valueOf(((int) s[(int) i]) & 0xff)
    }
    throw lgErr('cannot fetch ' + k + ' from ' + lgType(b))
}

// lgGetO is b?.k inside an optional chain: a nil b ends the chain.
@CompileStatic
static Object lgGetO(Object b, Object k) {
    if (b == null || b.is(LG_STOP)) return LG_STOP
    return lgGet(b, k)
}

// lgGetOL is b?.[k] with a key evaluated only when b is not nil.
@CompileStatic
static Object lgGetOL(Object b, Closure k) {
    if (b == null || b.is(LG_STOP)) return LG_STOP
    return lgGet(b, k.call())
}

// lgChain ends an optional chain: nil when it was cut short.
@CompileStatic
static Object lgChain(Object v) {
    return v.is(LG_STOP) ? null : v
}

// lgSlice is runtime.Slice: b[from:to]; strings are sliced by bytes, and
// a cut through a character leaves U+FFFD for each byte of it, as Go
// decodes the invalid UTF-8 the cut makes.
@CompileStatic
static Object lgSlice(Object b, boolean hasTo, Object to, boolean hasFrom, Object from) {
    long n
    byte[] s = null
    if (b instanceof List) {
        n = ((List) b).size()
    } else if (b instanceof String) {
        s = ((String) b).getBytes(StandardCharsets.UTF_8)
        n = s.length
    } else {
        throw lgErr('cannot slice ' + lgType(b))
    }
    long hi = hasTo ? lgToInt(to) : n
    long lo = hasFrom ? lgToInt(from) : 0L
    if (lo < 0L) lo += n
    if (lo < 0L) lo = 0L
    if (hi < 0L) hi += n
    if (hi < 0L) hi = 0L
    if (hi > n) hi = n
    if (lo > hi) lo = hi
    if (s == null) return new ArrayList(((List) b).subList((int) lo, (int) hi))
    return lgUtf8(s, (int) lo, (int) hi)
}

// lgIn is runtime.In: element of an array, key of a map.
@CompileStatic
static boolean lgIn(Object x, Object c) {
    if (c == null) return false
    if (c instanceof List) {
        for (Object e : (List) c) {
            if (lgEq(e, x)) return true
        }
        return false
    }
    if (c instanceof Map) return ((Map) c).containsKey(lgKey(x))
    throw lgErr('operator "in" not defined on ' + lgType(c))
}

// lgInS is "in" over an array of string literals, which expr turns into a
// map[string]struct{} lookup: nil looks up "", a non-string fails.
@CompileStatic
static boolean lgInS(Object x, List c) {
    return c.contains(lgKey(x))
}

@CompileStatic
void lgGrow(long n) {
    lgMem += n
    if (lgMem >= 1000000L) throw lgErr('memory budget exceeded')
}

// lgArr is an array literal; like expr it charges the memory budget.
@CompileStatic
List lgArr(List l) {
    lgGrow(l.size())
    return l
}

// lgInR is x in a..b without building the range (it still charges the budget).
@CompileStatic
boolean lgInR(Object x, Object a, Object b) {
    long lo = lgToInt(a)
    long hi = lgToInt(b)
    long size = hi - lo + 1L
    lgGrow(size > 0L ? size : 0L)
    if (size <= 0L) return false
    if (x instanceof Long) {
        long v = ((Long) x).longValue()
        return lo <= v && v <= hi
    }
    if (x instanceof Double) {
        double d = ((Double) x).doubleValue()
        if (Double.isNaN(d) || d != Math.rint(d)) return false
        return lgCmp(Double.valueOf((double) lo), x, '<=') != 1 && lgCmp(x, Double.valueOf((double) hi), '<=') != 1
    }
    return false
}

@CompileStatic
static boolean lgContains(Object a, Object b) {
    if (a == null || b == null) return false
    return lgS(a).contains(lgS(b))
}

@CompileStatic
static boolean lgStarts(Object a, Object b) {
    if (a == null || b == null) return false
    return lgS(a).startsWith(lgS(b))
}

@CompileStatic
static boolean lgEnds(Object a, Object b) {
    if (a == null || b == null) return false
    return lgS(a).endsWith(lgS(b))
}

// lgMatch is "matches" with a pattern already translated from Go's RE2 syntax.
@CompileStatic
static boolean lgMatch(Object a, String re) {
    if (a == null) return false
    String s = lgS(a)
    Pattern p = LG_RE.get(re)
    if (p == null) {
        p = Pattern.compile(re)
        LG_RE.put(re, p)
    }
    return p.matcher(s).find()
}

// lgCo is a ?? b.
@CompileStatic
static Object lgCo(Object a, Closure b) {
    return a != null ? a : b.call()
}

// lgVar is vars.k over JMeter variables: "" when unset, as for a Go map[string]string.
static Object lgVar(Object vs, Object k) {
    Object v = vs.get(lgKey(k))
    return v == null ? '' : v.toString()
}

static boolean lgInVars(Object vs, Object k) {
    return vs.get(lgKey(k)) != null
}

// lgStatusOf is the response code as a number; 0 when it is not one.
@CompileStatic
static Object lgStatusOf(Object code) {
    if (code == null) return Long.valueOf(0L)
    String s = code.toString().trim()
    if (!(s ==~ /[0-9]{1,9}/)) return Long.valueOf(0L)
    return Long.valueOf(Long.parseLong(s))
}

// lgBodyOf decodes the response bytes as UTF-8, as loadgen reads them.
@CompileStatic
static String lgBodyOf(Object data) {
    if (data == null) return ''
    byte[] b = (byte[]) data
    return lgUtf8(b, 0, b.length)
}

// lgUtf8 decodes b[from:to] as Go ranges over a string: each byte of an
// invalid or cut sequence is one U+FFFD.
@CompileStatic
static String lgUtf8(byte[] b, int from, int to) {
    try {
        return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b, from, to - from)).toString()
    } catch (java.nio.charset.CharacterCodingException e) {
        // not valid UTF-8: decode byte by byte below
    }
    StringBuilder sb = new StringBuilder(to - from)
    int i = from
    while (i < to) {
        int c = ((int) b[i]) & 0xff
        if (c < 0x80) {
            sb.append((char) c)
            i++
            continue
        }
        int need = 0
        int cp = 0
        int lo = 0x80
        int hi = 0xBF
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1
            cp = c & 0x1F
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2
            cp = c & 0x0F
            if (c == 0xE0) lo = 0xA0
            if (c == 0xED) hi = 0x9F
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3
            cp = c & 0x07
            if (c == 0xF0) lo = 0x90
            if (c == 0xF4) hi = 0x8F
        }
        boolean ok = need > 0 && i + need < to
        for (int k = 1; ok && k <= need; k++) {
            int d = ((int) b[i + k]) & 0xff
            if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) ok = false
            else cp = (cp << 6) | (d & 0x3F)
        }
        if (!ok) {
            sb.append((char) 0xFFFD)
            i++
            continue
        }
        sb.appendCodePoint(cp)
        i += need + 1
    }
    return sb.toString()
}

@CompileStatic
static Object lgDurationOf(Object ms) {
    return Double.valueOf(((Number) ms).doubleValue())
}

@CompileStatic
static Object lgSizeOf(Object n) {
    return Long.valueOf(((Number) n).longValue())
}

// lgCanon is Go's textproto.CanonicalMIMEHeaderKey.
@CompileStatic
static String lgCanon(String s) {
    String tok = '!#$%&\'*+-.^_` + "`" + `|~'
    for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i)
        if (!((c >= ((char) 'a') && c <= ((char) 'z')) || (c >= ((char) 'A') && c <= ((char) 'Z')) || (c >= ((char) '0') && c <= ((char) '9')) || tok.indexOf((int) c) >= 0)) return s
    }
    StringBuilder b = new StringBuilder(s.length())
    boolean up = true
    for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i)
        if (up && c >= ((char) 'a') && c <= ((char) 'z')) c = (char) (((int) c) - 32)
        else if (!up && c >= ((char) 'A') && c <= ((char) 'Z')) c = (char) (((int) c) + 32)
        b.append(c)
        up = c == ((char) '-')
    }
    return b.toString()
}

// lgParseHeaders turns raw "Name: value" lines (status line first) into a map with canonical keys; the last of repeated headers wins.
@CompileStatic
static Map lgParseHeaders(Object raw) {
    Map<String, String> m = new LinkedHashMap<String, String>()
    if (raw != null) {
        for (String line : raw.toString().split('\n')) {
            String l = line.endsWith('\r') ? line.substring(0, line.length() - 1) : line
            if (l.startsWith('HTTP/')) continue
            int i = l.indexOf(':')
            if (i <= 0) continue
            m.put(lgCanon(l.substring(0, i).trim()), l.substring(i + 1).trim())
        }
    }
    return Collections.unmodifiableMap(m)
}

// lgParseJson parses a body as Go's encoding/json would into an any: null
// when it is not exactly one JSON value; numbers become Doubles.
@CompileStatic
static Object lgParseJson(String s) {
    try {
        return lgJsonValue(s)
    } catch (IllegalArgumentException e) {
        return null
    }
}

@CompileStatic
static int lgWs(String s, int p) {
    int n = s.length()
    while (p < n) {
        int c = (int) s.charAt(p)
        if (c != 32 && c != 9 && c != 10 && c != 13) break
        p++
    }
    return p
}

@CompileStatic
static int lgHex4(String s, int p) {
    if (p + 4 > s.length()) return -1
    int r = 0
    for (int i = p; i < p + 4; i++) {
        int d = Character.digit(s.charAt(i), 16)
        if (d < 0 || ((int) s.charAt(i)) > 127) return -1
        r = r * 16 + d
    }
    return r
}

@CompileStatic
static String lgJsonString(String s, int[] pos) {
    int n = s.length()
    int p = pos[0]
    if (p >= n || ((int) s.charAt(p)) != 34) throw new IllegalArgumentException('json: string expected')
    p++
    StringBuilder b = new StringBuilder()
    while (true) {
        if (p >= n) throw new IllegalArgumentException('json: unterminated string')
        int c = (int) s.charAt(p)
        if (c == 34) {
            pos[0] = p + 1
            return b.toString()
        }
        if (c < 32) throw new IllegalArgumentException('json: control character in string')
        if (c != 92) {
            b.append((char) c)
            p++
            continue
        }
        if (p + 1 >= n) throw new IllegalArgumentException('json: bad escape')
        int e = (int) s.charAt(p + 1)
        p += 2
        if (e == 34 || e == 92 || e == 47) b.append((char) e)
        else if (e == 98) b.append((char) 8)
        else if (e == 102) b.append((char) 12)
        else if (e == 110) b.append((char) 10)
        else if (e == 114) b.append((char) 13)
        else if (e == 116) b.append((char) 9)
        else if (e == 117) {
            int r = lgHex4(s, p)
            if (r < 0) throw new IllegalArgumentException('json: bad \\u escape')
            p += 4
            if (r >= 0xD800 && r < 0xE000) {
                int r2 = -1
                if (p + 1 < n && ((int) s.charAt(p)) == 92 && ((int) s.charAt(p + 1)) == 117) r2 = lgHex4(s, p + 2)
                if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                    b.appendCodePoint(((r - 0xD800) << 10 | (r2 - 0xDC00)) + 0x10000)
                    p += 6
                } else {
                    b.append((char) 0xFFFD)
                }
            } else {
                b.append((char) r)
            }
        } else {
            throw new IllegalArgumentException('json: bad escape')
        }
    }
}

@CompileStatic
static boolean lgDigit(String s, int p) {
    return p < s.length() && s.charAt(p) >= ((char) '0') && s.charAt(p) <= ((char) '9')
}

@CompileStatic
static Double lgJsonNumber(String s, int[] pos) {
    int p = pos[0]
    int start = p
    if (p < s.length() && s.charAt(p) == ((char) '-')) p++
    if (!lgDigit(s, p)) throw new IllegalArgumentException('json: bad number')
    if (s.charAt(p) == ((char) '0')) {
        p++
    } else {
        while (lgDigit(s, p)) p++
    }
    if (p < s.length() && s.charAt(p) == ((char) '.')) {
        p++
        if (!lgDigit(s, p)) throw new IllegalArgumentException('json: bad number')
        while (lgDigit(s, p)) p++
    }
    if (p < s.length() && (s.charAt(p) == ((char) 'e') || s.charAt(p) == ((char) 'E'))) {
        p++
        if (p < s.length() && (s.charAt(p) == ((char) '+') || s.charAt(p) == ((char) '-'))) p++
        if (!lgDigit(s, p)) throw new IllegalArgumentException('json: bad number')
        while (lgDigit(s, p)) p++
    }
    double d = Double.parseDouble(s.substring(start, p))
    if (Double.isInfinite(d)) throw new IllegalArgumentException('json: number out of range')
    pos[0] = p
    return Double.valueOf(d)
}

// lgJsonValue is an iterative parser (no recursion, so deep documents
// cannot overflow the stack) that nests at most 10000 levels like Go's.
@CompileStatic
static Object lgJsonValue(String s) {
    int n = s.length()
    int[] pos = new int[1]
    List<Object> stack = new ArrayList<Object>()
    List<String> keys = new ArrayList<String>()
    int p = 0
    while (true) {
        p = lgWs(s, p)
        if (p >= n) throw new IllegalArgumentException('json: unexpected end')
        int c = (int) s.charAt(p)
        Object v = null
        if (c == 123 || c == 91) {
            if (stack.size() >= 10000) throw new IllegalArgumentException('json: exceeded max depth')
            p = lgWs(s, p + 1)
            if (c == 123) {
                if (p < n && ((int) s.charAt(p)) == 125) {
                    p++
                    v = new LinkedHashMap<String, Object>()
                } else {
                    pos[0] = p
                    String k = lgJsonString(s, pos)
                    p = lgWs(s, pos[0])
                    if (p >= n || ((int) s.charAt(p)) != 58) throw new IllegalArgumentException('json: colon expected')
                    p++
                    stack.add(new LinkedHashMap<String, Object>())
                    keys.add(k)
                    continue
                }
            } else {
                if (p < n && ((int) s.charAt(p)) == 93) {
                    p++
                    v = new ArrayList<Object>()
                } else {
                    stack.add(new ArrayList<Object>())
                    keys.add(null)
                    continue
                }
            }
        } else if (c == 34) {
            pos[0] = p
            v = lgJsonString(s, pos)
            p = pos[0]
        } else if (s.startsWith('true', p)) {
            v = Boolean.TRUE
            p += 4
        } else if (s.startsWith('false', p)) {
            v = Boolean.FALSE
            p += 5
        } else if (s.startsWith('null', p)) {
            v = null
            p += 4
        } else if (c == 45 || (c >= 48 && c <= 57)) {
            pos[0] = p
            v = lgJsonNumber(s, pos)
            p = pos[0]
        } else {
            throw new IllegalArgumentException('json: invalid character')
        }
        boolean more = false
        while (!more) {
            p = lgWs(s, p)
            if (stack.isEmpty()) {
                if (p != n) throw new IllegalArgumentException('json: data after the value')
                return v
            }
            int top = stack.size() - 1
            Object t = stack.get(top)
            if (t instanceof Map) {
                ((Map<String, Object>) t).put(keys.get(top), v)
                if (p < n && ((int) s.charAt(p)) == 44) {
                    pos[0] = lgWs(s, p + 1)
                    String k = lgJsonString(s, pos)
                    p = lgWs(s, pos[0])
                    if (p >= n || ((int) s.charAt(p)) != 58) throw new IllegalArgumentException('json: colon expected')
                    p++
                    keys.set(top, k)
                    more = true
                } else if (p < n && ((int) s.charAt(p)) == 125) {
                    p++
                    stack.remove(top)
                    keys.remove(top)
                    v = t
                } else {
                    throw new IllegalArgumentException('json: comma or } expected')
                }
            } else {
                ((List<Object>) t).add(v)
                if (p < n && ((int) s.charAt(p)) == 44) {
                    p++
                    more = true
                } else if (p < n && ((int) s.charAt(p)) == 93) {
                    p++
                    stack.remove(top)
                    keys.remove(top)
                    v = t
                } else {
                    throw new IllegalArgumentException('json: comma or ] expected')
                }
            }
        }
    }
}
`
