/* SHA-384 of every 4 KiB page of a file, timed in one process with two SHA-512 implementations:
 * the BoringSSL that swift-crypto vendors (what `sevhost digest` calls) and the system's OpenSSL.
 * An SNP launch digest over a firmware image is, in CPU, almost only these page hashes, so this
 * is the hashing floor of benchmark (a). Built and run by benchmarks/sha384-pages.sh. */
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* BoringSSL's one-shot SHA-384, by its prefixed name. Declared here rather than through its
 * header, whose prefix macros would rename OpenSSL's SHA384 to BoringSSL's as well. */
uint8_t *CCryptoBoringSSL_SHA384(const uint8_t *data, size_t len, uint8_t out[48]);

enum { page = 4096, passes = 50 };

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s FIRMWARE\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f) / page * page;
    rewind(f);
    unsigned char *data = malloc(size), boring[48], openssl[48];
    if (!data || fread(data, 1, size, f) != (size_t)size) { fprintf(stderr, "%s: short read\n", argv[1]); return 1; }
    fclose(f);
    /* Both must agree on every page before their times mean anything. */
    for (long o = 0; o < size; o += page) {
        CCryptoBoringSSL_SHA384(data + o, page, boring);
        SHA384(data + o, page, openssl);
        if (memcmp(boring, openssl, 48) != 0) { fprintf(stderr, "page at %ld: digests differ\n", o); return 1; }
    }
    double best_boring = 1e9, best_openssl = 1e9;
    for (int round = 0; round < 3; round++) {
        double t0 = now_ms();
        for (int p = 0; p < passes; p++)
            for (long o = 0; o < size; o += page) CCryptoBoringSSL_SHA384(data + o, page, boring);
        double t1 = now_ms();
        for (int p = 0; p < passes; p++)
            for (long o = 0; o < size; o += page) SHA384(data + o, page, openssl);
        double t2 = now_ms();
        if ((t1 - t0) / passes < best_boring) best_boring = (t1 - t0) / passes;
        if ((t2 - t1) / passes < best_openssl) best_openssl = (t2 - t1) / passes;
    }
    printf("%ld pages of %s, SHA-384 each, best of 3 rounds of %d passes, one thread:\n", size / page, argv[1], passes);
    printf("  swift-crypto's BoringSSL: %.2f ms per pass\n", best_boring);
    printf("  system OpenSSL (%s): %.2f ms per pass\n", OPENSSL_VERSION_TEXT, best_openssl);
    return 0;
}
