// libcurl's easy interface, resolved at run time. The option numbers are libcurl's stable ABI
// (curl.h: CURLOPTTYPE_* base + index), written out so the build needs no libcurl headers.
#include "chttpget.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_WRITEDATA = 10001,
    OPT_URL = 10002,
    OPT_ERRORBUFFER = 10010,
    OPT_USERAGENT = 10018,
    OPT_HEADERDATA = 10029,
    OPT_WRITEFUNCTION = 20011,
    OPT_HEADERFUNCTION = 20079,
    OPT_FOLLOWLOCATION = 52,
    OPT_MAXREDIRS = 68,
    OPT_NOSIGNAL = 99,
    OPT_TIMEOUT_MS = 155,
    INFO_RESPONSE_CODE = 0x200002,
    GLOBAL_DEFAULT = 3,
    CURL_ERROR_SIZE = 256,
};

typedef size_t (*write_callback)(char *, size_t, size_t, void *);

static struct {
    int (*global_init)(long);
    void *(*easy_init)(void);
    int (*easy_setopt)(void *, int, ...);
    int (*easy_perform)(void *);
    int (*easy_getinfo)(void *, int, ...);
    void (*easy_cleanup)(void *);
    const char *(*easy_strerror)(int);
    char load_error[200];
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void load_curl(void) {
    // Debian's libcurl4 (OpenSSL) first, then the GnuTLS build other packages pull in.
    static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++) {
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (handle == NULL) {
        snprintf(curl.load_error, sizeof curl.load_error, "libcurl.so.4 is not installed (apt install libcurl4)");
        return;
    }
    *(void **)&curl.global_init = dlsym(handle, "curl_global_init");
    *(void **)&curl.easy_init = dlsym(handle, "curl_easy_init");
    *(void **)&curl.easy_setopt = dlsym(handle, "curl_easy_setopt");
    *(void **)&curl.easy_perform = dlsym(handle, "curl_easy_perform");
    *(void **)&curl.easy_getinfo = dlsym(handle, "curl_easy_getinfo");
    *(void **)&curl.easy_cleanup = dlsym(handle, "curl_easy_cleanup");
    *(void **)&curl.easy_strerror = dlsym(handle, "curl_easy_strerror");
    if (!curl.global_init || !curl.easy_init || !curl.easy_setopt || !curl.easy_perform ||
        !curl.easy_getinfo || !curl.easy_cleanup || !curl.easy_strerror) {
        snprintf(curl.load_error, sizeof curl.load_error, "libcurl.so.4 lacks the easy interface");
        curl.easy_init = NULL;
        return;
    }
    if (curl.global_init(GLOBAL_DEFAULT) != 0) {
        snprintf(curl.load_error, sizeof curl.load_error, "libcurl failed to initialise");
        curl.easy_init = NULL;
    }
}

/// A growable byte buffer, NUL-terminated so headers can be read as text.
typedef struct {
    char *bytes;
    size_t length, capacity;
    int failed;
} buffer;

static size_t append(buffer *b, const char *data, size_t length) {
    if (b->length + length + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + length + 1) capacity *= 2;
        char *grown = realloc(b->bytes, capacity);
        if (grown == NULL) { b->failed = 1; return 0; }  // libcurl then fails the transfer
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, length);
    b->length += length;
    b->bytes[b->length] = 0;
    return length;
}

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    return append(context, data, size * count);
}

static size_t on_header(char *data, size_t size, size_t count, void *context) {
    buffer *b = context;
    // A status line starts a new response (after a redirect or a 100 Continue): keep only the last.
    if (size * count >= 5 && memcmp(data, "HTTP/", 5) == 0) b->length = 0;
    return append(b, data, size * count);
}

int chttp_get(const char *url, double timeout_seconds, chttp_response *out) {
    memset(out, 0, sizeof *out);
    pthread_once(&curl_once, load_curl);
    if (curl.easy_init == NULL) {
        snprintf(out->error, sizeof out->error, "%s", curl.load_error);
        return -1;
    }
    void *easy = curl.easy_init();
    if (easy == NULL) {
        snprintf(out->error, sizeof out->error, "libcurl could not start a transfer");
        return -1;
    }
    buffer body = {0}, headers = {0};
    char error[CURL_ERROR_SIZE] = {0};
    long timeout_ms = timeout_seconds > 0 ? (long)(timeout_seconds * 1000) : 0;
    curl.easy_setopt(easy, OPT_URL, url);
    curl.easy_setopt(easy, OPT_ERRORBUFFER, error);
    curl.easy_setopt(easy, OPT_USERAGENT, "sevhost");
    curl.easy_setopt(easy, OPT_NOSIGNAL, 1L);
    curl.easy_setopt(easy, OPT_FOLLOWLOCATION, 1L);
    curl.easy_setopt(easy, OPT_MAXREDIRS, 10L);
    curl.easy_setopt(easy, OPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(easy, OPT_WRITEFUNCTION, (write_callback)on_body);
    curl.easy_setopt(easy, OPT_WRITEDATA, &body);
    curl.easy_setopt(easy, OPT_HEADERFUNCTION, (write_callback)on_header);
    curl.easy_setopt(easy, OPT_HEADERDATA, &headers);
    int code = curl.easy_perform(easy);
    if (code != 0 || body.failed || headers.failed) {
        const char *reason = body.failed || headers.failed ? "out of memory" : error[0] ? error : curl.easy_strerror(code);
        snprintf(out->error, sizeof out->error, "%s", reason);
        // One line: libcurl's messages sometimes end in a newline.
        out->error[strcspn(out->error, "\r\n")] = 0;
        curl.easy_cleanup(easy);
        free(body.bytes);
        free(headers.bytes);
        return -1;
    }
    curl.easy_getinfo(easy, INFO_RESPONSE_CODE, &out->status);
    curl.easy_cleanup(easy);
    out->body = (unsigned char *)body.bytes;
    out->body_length = body.length;
    out->headers = headers.bytes;
    out->headers_length = headers.length;
    return 0;
}

void chttp_response_free(chttp_response *response) {
    free(response->body);
    free(response->headers);
    response->body = NULL;
    response->headers = NULL;
}
