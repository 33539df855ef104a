// libcurl's easy interface, resolved at run time: the option and info numbers come from
// libcurl's own header (libcurl4-openssl-dev), the functions from dlopen, so the executable is
// not linked against libcurl and its ~35 dependencies.
#include "chttpget.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// The largest body taken: AMD's certificates and CRLs are a few KiB; a server (or a mirror)
/// that sends more is refused rather than allowed to fill memory.
enum { MAXIMUM_BODY = 16 << 20 };

typedef size_t (*write_callback)(char *, size_t, size_t, void *);

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
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
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(curl.load_error, sizeof curl.load_error, "libcurl failed to initialise");
        curl.easy_init = NULL;
    }
}

/// A growable byte buffer, NUL-terminated so headers can be read as text.
typedef struct {
    char *bytes;
    size_t length, capacity;
    size_t limit;
    int failed;
} buffer;

static size_t append(buffer *b, const char *data, size_t length) {
    if (b->limit && b->length + length > b->limit) { b->failed = 2; return 0; }  // libcurl then fails the transfer
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
    chttp_request_options options = {0};
    options.url = url;
    options.timeout_seconds = timeout_seconds;
    return chttp_request(&options, out);
}

int chttp_request(const chttp_request_options *options, chttp_response *out) {
    const char *url = options->url;
    double timeout_seconds = options->timeout_seconds;
    memset(out, 0, sizeof *out);
    pthread_once(&curl_once, load_curl);
    if (curl.easy_init == NULL) {
        snprintf(out->error, sizeof out->error, "%s", curl.load_error);
        return -1;
    }
    CURL *easy = curl.easy_init();
    if (easy == NULL) {
        snprintf(out->error, sizeof out->error, "libcurl could not start a transfer");
        return -1;
    }
    buffer body = {0}, headers = {0};
    headers.limit = 64 << 10;
    body.limit = MAXIMUM_BODY;
    char error[CURL_ERROR_SIZE] = {0};
    long timeout_ms = timeout_seconds > 0 ? (long)(timeout_seconds * 1000) : 0;
    curl.easy_setopt(easy, CURLOPT_URL, url);
    curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
    curl.easy_setopt(easy, CURLOPT_USERAGENT, "sevhost");
    curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl.easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
    curl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, (write_callback)on_body);
    curl.easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl.easy_setopt(easy, CURLOPT_HEADERFUNCTION, (write_callback)on_header);
    curl.easy_setopt(easy, CURLOPT_HEADERDATA, &headers);
    struct curl_slist *request_headers = NULL;
    struct curl_slist content_type_header = {0};
    char content_type_line[200];
    if (options->body != NULL) {
        curl.easy_setopt(easy, CURLOPT_POST, 1L);
        curl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)options->body_length);
        curl.easy_setopt(easy, CURLOPT_POSTFIELDS, options->body);
        if (options->content_type != NULL) {
            // One header, held in a list node of our own: curl_slist_append is not resolved.
            snprintf(content_type_line, sizeof content_type_line, "Content-Type: %s", options->content_type);
            content_type_header.data = content_type_line;
            request_headers = &content_type_header;
            curl.easy_setopt(easy, CURLOPT_HTTPHEADER, request_headers);
        }
    }
    if (options->client_certificate != NULL) curl.easy_setopt(easy, CURLOPT_SSLCERT, options->client_certificate);
    if (options->client_key != NULL) curl.easy_setopt(easy, CURLOPT_SSLKEY, options->client_key);
    if (options->ca_file != NULL) curl.easy_setopt(easy, CURLOPT_CAINFO, options->ca_file);
    CURLcode code = curl.easy_perform(easy);
    if (code != 0 || body.failed || headers.failed) {
        const char *reason = body.failed == 2    ? "the response body is larger than 16 MiB"
                             : headers.failed == 2 ? "the response headers are larger than 64 KiB"
                             : body.failed || headers.failed ? "out of memory"
                             : error[0] ? error : curl.easy_strerror(code);
        snprintf(out->error, sizeof out->error, "%s", reason);
        // One line: libcurl's messages sometimes end in a newline.
        out->error[strcspn(out->error, "\r\n")] = 0;
        int oversized = body.failed == 2 || headers.failed == 2;
        curl.easy_cleanup(easy);
        free(body.bytes);
        free(headers.bytes);
        return oversized ? -2 : -1;
    }
    curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out->status);
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
