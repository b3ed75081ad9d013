/*
 * Batch RFC 9162 hashing for jiliang.core.ledger: an optional accelerator (GCC or Clang; when it
 * is not built the ledger uses the hashlib versions in tree.py, which give the same bytes).
 *
 * Hashing (one call a batch, so a hash costs its SHA-256 compressions, not a Python call):
 *   pack_entries(entries, start=0)     (b"".join(entries), big-endian uint64 end offsets from start)
 *   hash_leaves(data, ends, start=0)   SHA-256(0x00 || entry i), entry i = data[ends[i-1]-start :
 *                                      ends[i]-start] (ends[-1] = start), concatenated
 *   hash_pairs(level)                  SHA-256(0x01 || left || right) of adjacent 32-byte hashes
 *   hash_root(hashes)                  root of the complete subtree over 2^k <= 256 hashes
 * Proofs, read from the layout a TileStore describes (the file format stays in Python):
 *   gather(ranges, layout, stores, edges)        MTH(D[start:end]) of each range
 *   proof(kind, a, b, layout, stores, edges)     an inclusion (0) or consistency (1) proof
 * Implementation choice:
 *   implementation(), available(), use(name)     "portable" or "sha-ni" ("auto" picks)
 *
 * SHA-256 is FIPS 180-4, written here from the standard: a portable compression (plain C) and one
 * using the x86 SHA extensions (sha256rnds2/msg1/msg2), compiled with a function target attribute
 * so the module builds with any -march, and chosen at import time from CPUID. The tests hold every
 * function, in both implementations, to the Python reference.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define JL_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define JL_HAVE_X86 0
#endif

#define HASH_SIZE 32
/* Batches at least this large are hashed with the GIL released (other threads keep running). */
#define RELEASE_GIL_HASHES 64

typedef void (*compress_fn)(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t IV256[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

/* FIPS 180-4 §6.2.2, one 64-byte block at a time. */
static void compress_portable(uint32_t state[8], const uint8_t *p, size_t nblocks)
{
    uint32_t w[64];
    while (nblocks--) {
        for (int i = 0; i < 16; i++)
            w[i] = load_be32(p + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                          K256[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
        p += 64;
    }
}

/* Two messages of the same length at once (their blocks side by side). */
typedef void (*compress2_fn)(uint32_t sa[8], const uint8_t *pa, uint32_t sb[8], const uint8_t *pb,
                             size_t nblocks);

static void compress2_portable(uint32_t sa[8], const uint8_t *pa, uint32_t sb[8],
                               const uint8_t *pb, size_t nblocks)
{
    compress_portable(sa, pa, nblocks);
    compress_portable(sb, pb, nblocks);
}

#if JL_HAVE_X86
/*
 * SHA-NI compression. sha256rnds2 keeps the working variables in two registers, ABEF and CDGH
 * (A in the top dword), and does two rounds with W+K from the low 64 bits of its third operand;
 * the new ABEF comes back, and the old ABEF is the new CDGH, so the two registers swap roles every
 * two rounds. sha256msg1/msg2 compute four schedule words W[t..t+3] from W[t-16..t-1].
 * sha256rnds2 has a latency of several cycles, so the two-message variant interleaves two
 * independent dependency chains (about 1.6-1.8x the throughput of one).
 */
#define JL_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds of one message: add K to its schedule words `msg`, then two sha256rnds2. */
#define JL_ROUNDS4(msg, k_index, abef, cdgh)                                                       \
    do {                                                                                           \
        __m128i wk_ = _mm_add_epi32((msg), _mm_loadu_si128((const __m128i *)&K256[(k_index)]));   \
        (cdgh) = _mm_sha256rnds2_epu32((cdgh), (abef), wk_);                                       \
        (abef) = _mm_sha256rnds2_epu32((abef), (cdgh), _mm_shuffle_epi32(wk_, 0x0E));              \
    } while (0)

/* W[t..t+3] from w0 = W[t-16..t-13], w1 = W[t-12..t-9], w2 = W[t-8..t-5], w3 = W[t-4..t-1];
 * the result replaces w0 (the oldest). */
#define JL_SCHEDULE(w0, w1, w2, w3)                                                                \
    do {                                                                                           \
        __m128i t_ = _mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)); \
        (w0) = _mm_sha256msg2_epu32(t_, (w3));                                                     \
    } while (0)

/* The 16 message words of a block, big-endian. */
#define JL_LOAD(p, w0, w1, w2, w3)                                                                 \
    do {                                                                                           \
        const __m128i bswap_ = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);        \
        (w0) = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 0)), bswap_);             \
        (w1) = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 16)), bswap_);            \
        (w2) = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 32)), bswap_);            \
        (w3) = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)((p) + 48)), bswap_);            \
    } while (0)

JL_SHA_TARGET static inline void shani_load(const uint32_t state[8], __m128i *abef, __m128i *cdgh)
{
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]); /* lanes a b c d */
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]); /* lanes e f g h */
    __m128i badc = _mm_shuffle_epi32(dcba, 0xB1);               /* lanes b a d c */
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);               /* lanes h g f e */
    *abef = _mm_alignr_epi8(badc, efgh, 8);                     /* lanes f e b a */
    *cdgh = _mm_blend_epi16(efgh, badc, 0xF0);                  /* lanes h g d c */
}

JL_SHA_TARGET static inline void shani_store(uint32_t state[8], __m128i abef, __m128i cdgh)
{
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B); /* lanes a b e f */
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1); /* lanes g h c d */
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0)); /* a b c d */
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));   /* e f g h */
}

JL_SHA_TARGET static void compress_shani(uint32_t state[8], const uint8_t *p, size_t nblocks)
{
    __m128i abef, cdgh, w0, w1, w2, w3;
    shani_load(state, &abef, &cdgh);
    while (nblocks--) {
        const __m128i abef_saved = abef, cdgh_saved = cdgh;
        JL_LOAD(p, w0, w1, w2, w3);
        JL_ROUNDS4(w0, 0, abef, cdgh);
        JL_ROUNDS4(w1, 4, abef, cdgh);
        JL_ROUNDS4(w2, 8, abef, cdgh);
        JL_ROUNDS4(w3, 12, abef, cdgh);
        for (int k = 16; k < 64; k += 16) {
            JL_SCHEDULE(w0, w1, w2, w3);
            JL_ROUNDS4(w0, k, abef, cdgh);
            JL_SCHEDULE(w1, w2, w3, w0);
            JL_ROUNDS4(w1, k + 4, abef, cdgh);
            JL_SCHEDULE(w2, w3, w0, w1);
            JL_ROUNDS4(w2, k + 8, abef, cdgh);
            JL_SCHEDULE(w3, w0, w1, w2);
            JL_ROUNDS4(w3, k + 12, abef, cdgh);
        }
        abef = _mm_add_epi32(abef, abef_saved);
        cdgh = _mm_add_epi32(cdgh, cdgh_saved);
        p += 64;
    }
    shani_store(state, abef, cdgh);
}

JL_SHA_TARGET static void compress2_shani(uint32_t sa[8], const uint8_t *pa, uint32_t sb[8],
                                          const uint8_t *pb, size_t nblocks)
{
    __m128i abef_a, cdgh_a, abef_b, cdgh_b, a0, a1, a2, a3, b0, b1, b2, b3;
    shani_load(sa, &abef_a, &cdgh_a);
    shani_load(sb, &abef_b, &cdgh_b);
    while (nblocks--) {
        const __m128i abef_a0 = abef_a, cdgh_a0 = cdgh_a, abef_b0 = abef_b, cdgh_b0 = cdgh_b;
        JL_LOAD(pa, a0, a1, a2, a3);
        JL_LOAD(pb, b0, b1, b2, b3);
        JL_ROUNDS4(a0, 0, abef_a, cdgh_a);
        JL_ROUNDS4(b0, 0, abef_b, cdgh_b);
        JL_ROUNDS4(a1, 4, abef_a, cdgh_a);
        JL_ROUNDS4(b1, 4, abef_b, cdgh_b);
        JL_ROUNDS4(a2, 8, abef_a, cdgh_a);
        JL_ROUNDS4(b2, 8, abef_b, cdgh_b);
        JL_ROUNDS4(a3, 12, abef_a, cdgh_a);
        JL_ROUNDS4(b3, 12, abef_b, cdgh_b);
        for (int k = 16; k < 64; k += 16) {
            JL_SCHEDULE(a0, a1, a2, a3);
            JL_SCHEDULE(b0, b1, b2, b3);
            JL_ROUNDS4(a0, k, abef_a, cdgh_a);
            JL_ROUNDS4(b0, k, abef_b, cdgh_b);
            JL_SCHEDULE(a1, a2, a3, a0);
            JL_SCHEDULE(b1, b2, b3, b0);
            JL_ROUNDS4(a1, k + 4, abef_a, cdgh_a);
            JL_ROUNDS4(b1, k + 4, abef_b, cdgh_b);
            JL_SCHEDULE(a2, a3, a0, a1);
            JL_SCHEDULE(b2, b3, b0, b1);
            JL_ROUNDS4(a2, k + 8, abef_a, cdgh_a);
            JL_ROUNDS4(b2, k + 8, abef_b, cdgh_b);
            JL_SCHEDULE(a3, a0, a1, a2);
            JL_SCHEDULE(b3, b0, b1, b2);
            JL_ROUNDS4(a3, k + 12, abef_a, cdgh_a);
            JL_ROUNDS4(b3, k + 12, abef_b, cdgh_b);
        }
        abef_a = _mm_add_epi32(abef_a, abef_a0);
        cdgh_a = _mm_add_epi32(cdgh_a, cdgh_a0);
        abef_b = _mm_add_epi32(abef_b, abef_b0);
        cdgh_b = _mm_add_epi32(cdgh_b, cdgh_b0);
        pa += 64;
        pb += 64;
    }
    shani_store(sa, abef_a, cdgh_a);
    shani_store(sb, abef_b, cdgh_b);
}

static int cpu_has_shani(void)
{
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return 0;
    int sse41 = (ecx >> 19) & 1, ssse3 = (ecx >> 9) & 1;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return 0;
    return sse41 && ssse3 && ((ebx >> 29) & 1);
}
#else
static int cpu_has_shani(void) { return 0; }
#endif

/* The compression in use (set by use(); both give the same hashes). */
static compress_fn compress = compress_portable;
static compress2_fn compress2 = compress2_portable;
static const char *compress_name = "portable";

/*
 * SHA-256(prefix || data[l][0:len]) into out[l] for `lanes` (1 or 2) messages of the same length:
 * their blocks line up, so two go through compress2 together.
 */
static void sha256_prefixed_lanes(int lanes, uint8_t prefix, const uint8_t *const data[2],
                                  size_t len, uint8_t *const out[2])
{
    uint32_t state[2][8];
    uint8_t block[2][128];
    uint64_t total = (uint64_t)len + 1; /* message bytes, prefix included */
    size_t tail;                        /* message bytes waiting in `block` */

#define JL_RUN(pa, pb, n)                                                                          \
    do {                                                                                           \
        if (lanes == 2)                                                                            \
            compress2(state[0], (pa), state[1], (pb), (n));                                        \
        else                                                                                       \
            compress(state[0], (pa), (n));                                                         \
    } while (0)

    for (int l = 0; l < lanes; l++) {
        memcpy(state[l], IV256, sizeof state[l]);
        block[l][0] = prefix;
    }
    if (len >= 63) {
        /* The prefix shifts the message by one byte: the first block is copied, the following
         * full blocks are hashed in place from `data`. */
        for (int l = 0; l < lanes; l++)
            memcpy(block[l] + 1, data[l], 63);
        JL_RUN(block[0], block[1], 1);
        size_t used = 63, full = (len - 63) / 64;
        if (full) {
            JL_RUN(data[0] + used, lanes == 2 ? data[1] + used : NULL, full);
            used += full * 64;
        }
        tail = len - used;
        for (int l = 0; l < lanes; l++)
            memcpy(block[l], data[l] + used, tail);
    } else {
        for (int l = 0; l < lanes; l++)
            memcpy(block[l] + 1, data[l], len);
        tail = len + 1;
    }
    /* FIPS 180-4 §5.1.1 padding: 0x80, zeros, 64-bit big-endian bit length. */
    size_t padded = tail < 56 ? 64 : 128;
    uint64_t bits = total * 8;
    for (int l = 0; l < lanes; l++) {
        block[l][tail] = 0x80;
        memset(block[l] + tail + 1, 0, padded - tail - 1 - 8);
        store_be32(block[l] + padded - 8, (uint32_t)(bits >> 32));
        store_be32(block[l] + padded - 4, (uint32_t)bits);
    }
    JL_RUN(block[0], block[1], padded / 64);
#undef JL_RUN
    for (int l = 0; l < lanes; l++)
        for (int i = 0; i < 8; i++)
            store_be32(out[l] + 4 * i, state[l][i]);
}

/* SHA-256(prefix || data[0:len]) into out[32]. */
static void sha256_prefixed(uint8_t prefix, const uint8_t *data, size_t len, uint8_t out[HASH_SIZE])
{
    const uint8_t *const in[2] = {data, NULL};
    uint8_t *const res[2] = {out, NULL};
    sha256_prefixed_lanes(1, prefix, in, len, res);
}

/* Node hashes of `parents` adjacent pairs at `in` into `out`, two at a time. `out` may be `in`
 * itself (parent i is written after pairs 0..i are read, and pair i+1 starts past it). */
static void hash_pair_run(const uint8_t *in, Py_ssize_t parents, uint8_t *out)
{
    Py_ssize_t i = 0;
    for (; i + 1 < parents; i += 2) {
        uint8_t a[HASH_SIZE], b[HASH_SIZE];
        const uint8_t *const src[2] = {in + i * 2 * HASH_SIZE, in + (i + 1) * 2 * HASH_SIZE};
        uint8_t *const dst[2] = {a, b};
        sha256_prefixed_lanes(2, 0x01, src, 2 * HASH_SIZE, dst);
        memcpy(out + i * HASH_SIZE, a, HASH_SIZE);
        memcpy(out + (i + 1) * HASH_SIZE, b, HASH_SIZE);
    }
    if (i < parents) {
        uint8_t a[HASH_SIZE];
        sha256_prefixed(0x01, in + i * 2 * HASH_SIZE, 2 * HASH_SIZE, a);
        memcpy(out + i * HASH_SIZE, a, HASH_SIZE);
    }
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)load_be32(p) << 32) | load_be32(p + 4);
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/* hash_leaves(data, ends, start=0): entry i is data[ends[i-1]-start : ends[i]-start], ends[-1] being
 * `start`; `ends` are big-endian uint64, exactly the bytes of the log's entries/offsets file. */
static PyObject *hash_leaves(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs < 2 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "hash_leaves(data, ends, start=0) takes 2 or 3 arguments");
        return NULL;
    }
    unsigned long long start = 0;
    if (nargs == 3) {
        start = PyLong_AsUnsignedLongLong(args[2]);
        if (start == (unsigned long long)-1 && PyErr_Occurred())
            return NULL;
    }
    Py_buffer data, ends;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[1], &ends, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    PyObject *result = NULL;
    if (ends.len % 8 != 0) {
        PyErr_Format(PyExc_ValueError, "ends is %zd bytes, not a whole number of uint64 values",
                     ends.len);
        goto done;
    }
    Py_ssize_t count = ends.len / 8;
    const uint8_t *raw = ends.buf;
    uint64_t previous = start;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint64_t end = load_be64(raw + 8 * i);
        if (end < previous) {
            PyErr_Format(PyExc_ValueError, "ends[%zd] = %llu is below the previous end %llu", i,
                         (unsigned long long)end, (unsigned long long)previous);
            goto done;
        }
        previous = end;
    }
    if (previous - start > (uint64_t)data.len) {
        PyErr_Format(PyExc_ValueError, "ends reach offset %llu, beyond the %zd bytes of data from %llu",
                     (unsigned long long)previous, data.len, start);
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * HASH_SIZE);
    if (result == NULL)
        goto done;
    {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
        const uint8_t *base = data.buf;
        uint64_t begin = 0;
        PyThreadState *save = count >= RELEASE_GIL_HASHES ? PyEval_SaveThread() : NULL;
        Py_ssize_t i = 0;
        while (i < count) {
            uint64_t end = load_be64(raw + 8 * i) - start;
            if (i + 1 < count) {
                uint64_t next = load_be64(raw + 8 * (i + 1)) - start;
                if (next - end == end - begin) { /* same length: hash the two together */
                    const uint8_t *const src[2] = {base + begin, base + end};
                    uint8_t *const dst[2] = {out + i * HASH_SIZE, out + (i + 1) * HASH_SIZE};
                    sha256_prefixed_lanes(2, 0x00, src, (size_t)(end - begin), dst);
                    begin = next;
                    i += 2;
                    continue;
                }
            }
            sha256_prefixed(0x00, base + begin, (size_t)(end - begin), out + i * HASH_SIZE);
            begin = end;
            i++;
        }
        if (save != NULL)
            PyEval_RestoreThread(save);
    }
done:
    PyBuffer_Release(&ends);
    PyBuffer_Release(&data);
    return result;
}

/* pack_entries(entries, start=0) -> (data, ends): the entries concatenated, and their big-endian
 * uint64 end offsets counted from `start`, in one pass (a Python loop costs ~0.1 us an entry). */
static PyObject *pack_entries(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "pack_entries(entries, start=0) takes 1 or 2 arguments");
        return NULL;
    }
    unsigned long long start = 0;
    if (nargs == 2) {
        start = PyLong_AsUnsignedLongLong(args[1]);
        if (start == (unsigned long long)-1 && PyErr_Occurred())
            return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "entries must be a sequence of bytes");
    if (seq == NULL)
        return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *data = NULL, *ends = NULL, *result = NULL;
    Py_ssize_t total = 0;
    /* Pass 1: sizes (and types). Only bytes and bytearray: their size is their byte length. */
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t len;
        if (PyBytes_Check(items[i]))
            len = PyBytes_GET_SIZE(items[i]);
        else if (PyByteArray_Check(items[i]))
            len = PyByteArray_GET_SIZE(items[i]);
        else {
            PyErr_Format(PyExc_TypeError, "entry %zd is %.100s, not bytes", i,
                         Py_TYPE(items[i])->tp_name);
            goto done;
        }
        if (len > PY_SSIZE_T_MAX - total) {
            PyErr_SetString(PyExc_OverflowError, "entries too large for one batch");
            goto done;
        }
        total += len;
    }
    data = PyBytes_FromStringAndSize(NULL, total);
    ends = PyBytes_FromStringAndSize(NULL, count * 8);
    if (data == NULL || ends == NULL)
        goto done;
    {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(data);
        uint8_t *end_out = (uint8_t *)PyBytes_AS_STRING(ends);
        uint64_t offset = start;
        for (Py_ssize_t i = 0; i < count; i++) {
            const char *src;
            Py_ssize_t len;
            if (PyBytes_Check(items[i])) {
                src = PyBytes_AS_STRING(items[i]);
                len = PyBytes_GET_SIZE(items[i]);
            } else {
                src = PyByteArray_AS_STRING(items[i]);
                len = PyByteArray_GET_SIZE(items[i]);
            }
            memcpy(out, src, (size_t)len);
            out += len;
            offset += (uint64_t)len;
            store_be64(end_out + 8 * i, offset);
        }
    }
    result = PyTuple_Pack(2, data, ends);
done:
    Py_XDECREF(data);
    Py_XDECREF(ends);
    Py_DECREF(seq);
    return result;
}

static PyObject *hash_pairs(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer level;
    if (PyObject_GetBuffer(arg, &level, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *result = NULL;
    if (level.len % HASH_SIZE != 0) {
        PyErr_Format(PyExc_ValueError, "level is %zd bytes, not a whole number of 32-byte hashes",
                     level.len);
        goto done;
    }
    Py_ssize_t parents = level.len / (2 * HASH_SIZE); /* an odd last hash has no parent yet */
    result = PyBytes_FromStringAndSize(NULL, parents * HASH_SIZE);
    if (result == NULL)
        goto done;
    {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
        PyThreadState *save = parents >= RELEASE_GIL_HASHES ? PyEval_SaveThread() : NULL;
        hash_pair_run(level.buf, parents, out);
        if (save != NULL)
            PyEval_RestoreThread(save);
    }
done:
    PyBuffer_Release(&level);
    return result;
}

/* Root of the complete subtree over `count` (a power of two, <= 256) hashes at `in`. */
static void subtree_root(const uint8_t *in, Py_ssize_t count, uint8_t out[HASH_SIZE])
{
    uint8_t work[128 * HASH_SIZE];
    if (count == 1) {
        memcpy(out, in, HASH_SIZE);
        return;
    }
    for (; count > 1; count /= 2) {
        hash_pair_run(in, count / 2, work);
        in = work; /* hash_pair_run may write over the level it reads */
    }
    memcpy(out, work, HASH_SIZE);
}

/* hash_root(hashes): the root of the complete subtree over 2^k 32-byte hashes (k <= 8), i.e.
 * hash_pairs applied k times, in one call (a proof recomputes a few low nodes this way). */
static PyObject *hash_root(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_buffer level;
    if (PyObject_GetBuffer(arg, &level, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t count = level.len / HASH_SIZE;
    if (level.len % HASH_SIZE != 0 || count == 0 || count > 256 || (count & (count - 1)) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "hash_root needs 2^k 32-byte hashes, 1 <= 2^k <= 256; got %zd bytes", level.len);
    } else {
        uint8_t root[HASH_SIZE];
        subtree_root(level.buf, count, root);
        result = PyBytes_FromStringAndSize((const char *)root, HASH_SIZE);
    }
    PyBuffer_Release(&level);
    return result;
}

/*
 * gather(ranges, layout, stores, edges) -> list[bytes]: MTH(D[start:end]) for each (start, end),
 * read from a store's files by a layout the store describes (jiliang.core.ledger.store: this
 * function knows nothing of its file format). For height h, layout holds 6 native int64
 * (shift, stride, base, mask, limit, computed), stores[h] the buffer of the nodes in full tiles
 * and edges[h] the bytes of the others. Node i of height h:
 *   i >= limit:   edges[h][32 (i - limit) ...]
 *   computed > 0: the root over the 2^computed hashes at stores[h][32 (i << computed) ...]
 *   otherwise:    stores[h][(i >> shift) stride + base + 32 (i & mask) ...]
 * A range that is not one complete subtree is folded from its complete subtrees, largest first
 * (the ranges of RFC 9162 proofs are aligned so). Every offset is bounds-checked.
 */
#define GATHER_FIELDS 6
#define GATHER_MAX_HEIGHT 64
#define GATHER_MAX_STRIDE (INT64_C(1) << 20)
#define GATHER_MAX_INDEX (UINT64_C(1) << 50) /* 2^50 nodes = 32 PiB of hashes */

typedef struct {
    PyObject *layout_obj, *stores, *edges;
    const int64_t *layout; /* GATHER_FIELDS per height */
    Py_ssize_t heights;
    Py_buffer views[GATHER_MAX_HEIGHT];
    char held[GATHER_MAX_HEIGHT];
} gather_ctx;

static int gather_node(gather_ctx *ctx, int height, uint64_t index, uint8_t out[HASH_SIZE])
{
    if (height < 0 || height >= ctx->heights) {
        PyErr_Format(PyExc_IndexError, "no height %d in the layout", height);
        return -1;
    }
    int64_t f[GATHER_FIELDS];
    memcpy(f, ctx->layout + GATHER_FIELDS * height, sizeof f); /* alignment-safe */
    int64_t shift = f[0], stride = f[1], base = f[2], mask = f[3], limit = f[4], computed = f[5];
    /* Bounds that keep every offset below 2^63 (no overflow, so the length checks below hold). */
    if (shift < 0 || shift > 63 || stride < 0 || stride > GATHER_MAX_STRIDE || base < 0 ||
        base > GATHER_MAX_STRIDE || mask < 0 || mask > 255 || limit < 0 || computed < 0 ||
        computed > 8) {
        PyErr_Format(PyExc_ValueError, "bad layout for height %d", height);
        return -1;
    }
    if (index > GATHER_MAX_INDEX) {
        PyErr_Format(PyExc_IndexError, "node (%d, %llu) is beyond any log", height,
                     (unsigned long long)index);
        return -1;
    }
    if ((int64_t)index >= limit) {
        PyObject *edge = PyTuple_GET_ITEM(ctx->edges, height);
        if (!PyBytes_Check(edge)) {
            PyErr_Format(PyExc_TypeError, "edges[%d] is not bytes", height);
            return -1;
        }
        uint64_t at = (index - (uint64_t)limit) * HASH_SIZE;
        if (at + HASH_SIZE > (uint64_t)PyBytes_GET_SIZE(edge)) {
            PyErr_Format(PyExc_IndexError, "node (%d, %llu) is beyond the stored hashes", height,
                         (unsigned long long)index);
            return -1;
        }
        memcpy(out, PyBytes_AS_STRING(edge) + at, HASH_SIZE);
        return 0;
    }
    if (!ctx->held[height]) {
        PyObject *store = PyTuple_GET_ITEM(ctx->stores, height);
        if (PyObject_GetBuffer(store, &ctx->views[height], PyBUF_SIMPLE) < 0)
            return -1;
        ctx->held[height] = 1;
    }
    const uint8_t *buf = ctx->views[height].buf;
    uint64_t len = (uint64_t)ctx->views[height].len, at, span = HASH_SIZE;
    if (computed > 0) {
        at = (index << computed) * HASH_SIZE;
        span = (uint64_t)HASH_SIZE << computed;
    } else {
        at = (index >> shift) * (uint64_t)stride + (uint64_t)base + (index & (uint64_t)mask) * HASH_SIZE;
    }
    if (at + span > len) {
        PyErr_Format(PyExc_IndexError, "node (%d, %llu) is beyond the stored hashes", height,
                     (unsigned long long)index);
        return -1;
    }
    if (computed > 0)
        subtree_root(buf + at, (Py_ssize_t)1 << computed, out);
    else
        memcpy(out, buf + at, HASH_SIZE);
    return 0;
}

static int gather_range(gather_ctx *ctx, uint64_t start, uint64_t end, uint8_t out[HASH_SIZE])
{
    if (end <= start) {
        PyErr_Format(PyExc_ValueError, "empty range D[%llu:%llu]", (unsigned long long)start,
                     (unsigned long long)end);
        return -1;
    }
    uint64_t width = end - start;
    uint8_t nodes[64][HASH_SIZE];
    int count = 0;
    uint64_t pos = start;
    for (int level = 63; level >= 0; level--) {
        if (!((width >> level) & 1))
            continue;
        if (pos & ((UINT64_C(1) << level) - 1)) {
            PyErr_Format(PyExc_ValueError, "D[%llu:%llu] is not aligned to complete subtrees",
                         (unsigned long long)start, (unsigned long long)end);
            return -1;
        }
        if (gather_node(ctx, level, pos >> level, nodes[count]) < 0)
            return -1;
        count++;
        pos += UINT64_C(1) << level;
    }
    /* Fold right to left: MTH of the range is H(0x01 || first || MTH(rest)). */
    uint8_t acc[HASH_SIZE], pair[2 * HASH_SIZE];
    memcpy(acc, nodes[count - 1], HASH_SIZE);
    for (int i = count - 2; i >= 0; i--) {
        memcpy(pair, nodes[i], HASH_SIZE);
        memcpy(pair + HASH_SIZE, acc, HASH_SIZE);
        sha256_prefixed(0x01, pair, sizeof pair, acc);
    }
    memcpy(out, acc, HASH_SIZE);
    return 0;
}

static int gather_open(gather_ctx *ctx, PyObject *layout, PyObject *stores, PyObject *edges)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->stores = stores;
    ctx->edges = edges;
    if (!PyBytes_Check(layout) || !PyTuple_Check(stores) || !PyTuple_Check(edges)) {
        PyErr_SetString(PyExc_TypeError, "layout must be bytes, stores and edges tuples");
        return -1;
    }
    ctx->layout = (const int64_t *)PyBytes_AS_STRING(layout);
    ctx->heights = PyBytes_GET_SIZE(layout) / (GATHER_FIELDS * 8);
    if (ctx->heights > GATHER_MAX_HEIGHT || PyTuple_GET_SIZE(stores) < ctx->heights ||
        PyTuple_GET_SIZE(edges) < ctx->heights) {
        PyErr_SetString(PyExc_ValueError, "layout, stores and edges do not match");
        return -1;
    }
    return 0;
}

static void gather_close(gather_ctx *ctx)
{
    for (int h = 0; h < GATHER_MAX_HEIGHT; h++)
        if (ctx->held[h])
            PyBuffer_Release(&ctx->views[h]);
}

/* MTH(D[start:end]): one node for a complete subtree, else folded. */
static int gather_any(gather_ctx *ctx, uint64_t start, uint64_t end, uint8_t out[HASH_SIZE])
{
    uint64_t width = end - start;
    if (end > start && (width & (width - 1)) == 0) {
        int height = 63 - __builtin_clzll(width);
        return gather_node(ctx, height, start >> height, out);
    }
    return gather_range(ctx, start, end, out);
}

static PyObject *gather(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "gather(ranges, layout, stores, edges) takes 4 arguments");
        return NULL;
    }
    gather_ctx ctx;
    if (gather_open(&ctx, args[1], args[2], args[3]) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(args[0], "ranges must be a sequence of (start, end)");
    if (seq == NULL) {
        gather_close(&ctx);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject *result = PyList_New(count);
    if (result == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        unsigned long long start, end;
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_Format(PyExc_TypeError, "ranges[%zd] is not a (start, end) tuple", i);
            goto fail;
        }
        start = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(item, 0));
        if (start == (unsigned long long)-1 && PyErr_Occurred())
            goto fail;
        end = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(item, 1));
        if (end == (unsigned long long)-1 && PyErr_Occurred())
            goto fail;
        uint8_t hash[HASH_SIZE];
        if (gather_any(&ctx, start, end, hash) < 0)
            goto fail;
        PyObject *value = PyBytes_FromStringAndSize((const char *)hash, HASH_SIZE);
        if (value == NULL)
            goto fail;
        PyList_SET_ITEM(result, i, value);
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    gather_close(&ctx);
    Py_DECREF(seq);
    return result;
}

/* Bit length of x (0 for 0). */
static inline int bit_length(uint64_t x) { return x ? 64 - __builtin_clzll(x) : 0; }

/*
 * The ranges D[start:end] whose MTH form an RFC 9162 proof, in proof order, into r[][2]; returns
 * their number. Same arithmetic as jiliang.core.ledger.proofs.inclusion_ranges and
 * consistency_ranges (the reference; the tests compare the two).
 */
static int inclusion_ranges_c(uint64_t index, uint64_t size, uint64_t r[][2])
{
    int count = 0, inner = bit_length(index ^ (size - 1));
    for (int level = 0; level < inner; level++) {
        uint64_t start = ((index >> level) ^ 1) << level, end = start + (UINT64_C(1) << level);
        r[count][0] = start;
        r[count++][1] = end <= size ? end : size;
    }
    for (int level = inner; level < bit_length(size - 1); level++) {
        if ((index >> level) & 1) {
            uint64_t start = ((index >> level) ^ 1) << level;
            r[count][0] = start;
            r[count++][1] = start + (UINT64_C(1) << level);
        }
    }
    return count;
}

static int consistency_ranges_c(uint64_t old_size, uint64_t new_size, uint64_t r[][2])
{
    int count = 0, complete = 1;
    if (old_size == 0 || old_size == new_size)
        return 0;
    uint64_t start = 0, end = new_size, m = old_size;
    for (;;) {
        uint64_t n = end - start;
        if (m == n) {
            if (!complete) {
                r[count][0] = start;
                r[count++][1] = end;
            }
            break;
        }
        uint64_t k = UINT64_C(1) << (bit_length(n - 1) - 1);
        if (m <= k) {
            r[count][0] = start + k;
            r[count++][1] = end;
            end = start + k;
        } else {
            r[count][0] = start;
            r[count++][1] = start + k;
            start += k;
            m -= k;
            complete = 0;
        }
    }
    for (int i = 0; i < count / 2; i++) { /* the recursion appends the outer levels last */
        uint64_t a = r[i][0], b = r[i][1];
        r[i][0] = r[count - 1 - i][0];
        r[i][1] = r[count - 1 - i][1];
        r[count - 1 - i][0] = a;
        r[count - 1 - i][1] = b;
    }
    return count;
}

/* proof(kind, a, b, layout, stores, edges): the RFC 9162 inclusion proof of leaf a in the tree of
 * size b (kind 0) or the consistency proof from size a to size b (kind 1), read like gather(). */
static PyObject *proof(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "proof(kind, a, b, layout, stores, edges) takes 6 arguments");
        return NULL;
    }
    long kind = PyLong_AsLong(args[0]);
    unsigned long long a = PyLong_AsUnsignedLongLong(args[1]);
    unsigned long long b = PyLong_AsUnsignedLongLong(args[2]);
    if (PyErr_Occurred())
        return NULL;
    uint64_t ranges[130][2];
    int count;
    if (kind == 0 && a < b)
        count = inclusion_ranges_c(a, b, ranges);
    else if (kind == 1 && a <= b)
        count = consistency_ranges_c(a, b, ranges);
    else {
        PyErr_Format(PyExc_ValueError, "no %s proof for %llu, %llu",
                     kind == 0 ? "inclusion" : "consistency", a, b);
        return NULL;
    }
    gather_ctx ctx;
    if (gather_open(&ctx, args[3], args[4], args[5]) < 0)
        return NULL;
    PyObject *result = PyList_New(count);
    for (int i = 0; result != NULL && i < count; i++) {
        uint8_t hash[HASH_SIZE];
        PyObject *value = NULL;
        if (gather_any(&ctx, ranges[i][0], ranges[i][1], hash) == 0)
            value = PyBytes_FromStringAndSize((const char *)hash, HASH_SIZE);
        if (value == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, i, value);
    }
    gather_close(&ctx);
    return result;
}

static PyObject *implementation(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyUnicode_FromString(compress_name);
}

static PyObject *available(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    if (cpu_has_shani())
        return Py_BuildValue("(ss)", "portable", "sha-ni");
    return Py_BuildValue("(s)", "portable");
}

static int select_impl(const char *name)
{
    int shani = cpu_has_shani();
    if (strcmp(name, "auto") == 0)
        name = shani ? "sha-ni" : "portable";
    if (strcmp(name, "portable") == 0) {
        compress = compress_portable;
        compress2 = compress2_portable;
        compress_name = "portable";
        return 0;
    }
#if JL_HAVE_X86
    if (strcmp(name, "sha-ni") == 0 && shani) {
        compress = compress_shani;
        compress2 = compress2_shani;
        compress_name = "sha-ni";
        return 0;
    }
#endif
    return -1;
}

static PyObject *use(PyObject *module, PyObject *arg)
{
    (void)module;
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL)
        return NULL;
    PyObject *previous = PyUnicode_FromString(compress_name);
    if (previous == NULL)
        return NULL;
    if (select_impl(name) < 0) {
        Py_DECREF(previous);
        PyErr_Format(PyExc_ValueError,
                     "SHA-256 implementation %R is unknown or not supported by this CPU "
                     "(use 'auto', 'portable' or one of available())",
                     arg);
        return NULL;
    }
    return previous;
}

static PyMethodDef methods[] = {
    {"hash_leaves", (PyCFunction)(void (*)(void))hash_leaves, METH_FASTCALL,
     "hash_leaves(data, ends, start=0, /) -> bytes\n\nRFC 9162 leaf hashes SHA-256(0x00 || entry) "
     "of the entries in data; ends: their big-endian uint64 end offsets, counted from start."},
    {"pack_entries", (PyCFunction)(void (*)(void))pack_entries, METH_FASTCALL,
     "pack_entries(entries, start=0, /) -> (bytes, bytes)\n\nThe entries (bytes or bytearray) "
     "concatenated, and their big-endian uint64 end offsets counted from start."},
    {"hash_pairs", hash_pairs, METH_O,
     "hash_pairs(level, /) -> bytes\n\nRFC 9162 node hashes SHA-256(0x01 || left || right) of "
     "adjacent 32-byte hashes; an odd last hash is left out."},
    {"gather", (PyCFunction)(void (*)(void))gather, METH_FASTCALL,
     "gather(ranges, layout, stores, edges, /) -> list[bytes]\n\nMTH(D[start:end]) of each "
     "range from a store's node layout (see jiliang.core.ledger.store.TileStore)."},
    {"proof", (PyCFunction)(void (*)(void))proof, METH_FASTCALL,
     "proof(kind, a, b, layout, stores, edges, /) -> list[bytes]\n\nRFC 9162 inclusion proof "
     "(kind 0: leaf a, size b) or consistency proof (kind 1: sizes a, b), read like gather()."},
    {"hash_root", hash_root, METH_O,
     "hash_root(hashes, /) -> bytes\n\nRoot of the complete subtree over 2^k (<= 256) 32-byte "
     "hashes: hash_pairs applied k times."},
    {"implementation", implementation, METH_NOARGS,
     "implementation() -> str\n\nThe SHA-256 compression in use: 'sha-ni' or 'portable'."},
    {"available", available, METH_NOARGS,
     "available() -> tuple[str, ...]\n\nImplementations this CPU can run."},
    {"use", use, METH_O,
     "use(name, /) -> str\n\nSelect 'auto', 'portable' or 'sha-ni'; returns the previous one."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_hashbatch",
    "Batch RFC 9162 leaf and node hashing (C, portable and SHA-NI SHA-256).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__hashbatch(void)
{
    select_impl("auto");
    return PyModule_Create(&module_def);
}
