#ifndef CHTTPGET_H
#define CHTTPGET_H

#include <stddef.h>

/// One HTTP GET's outcome. `body` and `headers` are malloc'd (free with chttp_response_free);
/// `headers` holds the final response's header lines as received ("Name: value\r\n"...).
typedef struct {
    long status;
    unsigned char *body;
    size_t body_length;
    char *headers;
    size_t headers_length;
    /// Why the request failed (one line), when chttp_get returns -1.
    char error[256];
} chttp_response;

/// GETs `url` (redirects followed, `timeout_seconds` for the whole transfer) through libcurl,
/// which is loaded with dlopen on the first call rather than linked: the `sevhost` executable
/// then starts without libcurl and its ~35 dependent libraries, which only KDS fetches need.
/// Blocking; thread-safe. Returns 0 with `status`, `body` and `headers` set, or -1 with `error`
/// (-2 when the answer was larger than 16 MiB of body or 64 KiB of headers, and refused).
int chttp_get(const char *url, double timeout_seconds, chttp_response *out);

/// A request other than a plain GET: a POST body, and a client certificate for KDS's mutual-TLS
/// endpoint (VLEK hashsticks). NULL fields are unused.
typedef struct {
    const char *url;
    double timeout_seconds;
    /// When non-NULL, the request is a POST of these bytes with `content_type`.
    const unsigned char *body;
    size_t body_length;
    const char *content_type;
    /// PEM client certificate and its private key (mutual TLS).
    const char *client_certificate;
    const char *client_key;
    /// PEM CA bundle to check the server with, instead of the system's.
    const char *ca_file;
} chttp_request_options;

/// Performs `options` as chttp_get performs a GET; same results and limits.
int chttp_request(const chttp_request_options *options, chttp_response *out);

/// Frees what chttp_get allocated; the struct itself belongs to the caller.
void chttp_response_free(chttp_response *response);

#endif
