#ifndef MOCKLLM_CCURL_H
#define MOCKLLM_CCURL_H

/* libcurl for MockLLMUpstream, opened at run time.
 *
 * curl's own header gives the types and constants (CURLcode, CURLOPT_..., CURLMsg); nothing links
 * libcurl. The first client opens it with dlopen (shim.c) and resolves every function the client
 * calls; the mockllm_curl_* functions below call through those pointers. A server that never
 * proxies never opens it, and a machine without libcurl runs everything but record mode.
 *
 * The curl_* functions the header declares must not be called directly: nothing defines them, so
 * such a call fails at link time. */

#include <stddef.h>
#include <curl/curl.h>

/* The oldest libcurl the client works with: 7.85.0 added CURLOPT_PROTOCOLS_STR. */
#define MOCKLLM_CURL_MIN_VERSION_NUM 0x075500
#define MOCKLLM_CURL_MIN_VERSION "7.85.0"

/* What opening libcurl came to. */
enum {
    MOCKLLM_CURL_LOADED = 0,
    /* dlopen failed; the detail is dlerror()'s text. */
    MOCKLLM_CURL_NO_LIBRARY = 1,
    /* A function is missing; the detail names it, then dlerror()'s text. */
    MOCKLLM_CURL_NO_SYMBOL = 2,
    /* Older than MOCKLLM_CURL_MIN_VERSION; the detail is the version found. */
    MOCKLLM_CURL_TOO_OLD = 3,
    /* curl_global_init failed; the detail is curl_easy_strerror()'s text. */
    MOCKLLM_CURL_INIT_FAILED = 4,
};

/* The file the process opens: libcurl.so.4 (libcurl.4.dylib on macOS). */
const char *mockllm_curl_library_name(void);

/* Opens mockllm_curl_library_name() once per process (pthread_once), checks it and runs
 * curl_global_init; every call, from any thread, returns the first call's status. *detail is
 * set to a static message when the status is not MOCKLLM_CURL_LOADED (else to ""). Only after
 * MOCKLLM_CURL_LOADED may the functions below be called. */
int mockllm_curl_load(const char **detail);

/* The same opening and checks for `name` (a soname or a path), without curl_global_init and
 * without keeping it: the library is closed again. For diagnostics and tests. */
int mockllm_curl_check(const char *name, char *detail, size_t detail_size);

/* libcurl's version string, as curl_version_info reports it (after MOCKLLM_CURL_LOADED). */
const char *mockllm_curl_version(void);

/* The functions the client uses, through the resolved pointers. */
CURL *mockllm_curl_easy_init(void);
void mockllm_curl_easy_cleanup(CURL *e);
const char *mockllm_curl_easy_strerror(CURLcode code);
CURLM *mockllm_curl_multi_init(void);
CURLMcode mockllm_curl_multi_cleanup(CURLM *m);
CURLMcode mockllm_curl_multi_add_handle(CURLM *m, CURL *e);
CURLMcode mockllm_curl_multi_remove_handle(CURLM *m, CURL *e);
CURLMcode mockllm_curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev_bitmask, int *running_handles);
CURLMsg *mockllm_curl_multi_info_read(CURLM *m, int *msgs_in_queue);
const char *mockllm_curl_multi_strerror(CURLMcode code);
struct curl_slist *mockllm_curl_slist_append(struct curl_slist *list, const char *string);
void mockllm_curl_slist_free_all(struct curl_slist *list);

/* curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift cannot
 * call: these typed wrappers are what MockLLMUpstream uses instead. */
CURLcode mockllm_curl_easy_long(CURL *e, CURLoption o, long v);
CURLcode mockllm_curl_easy_off(CURL *e, CURLoption o, curl_off_t v);
CURLcode mockllm_curl_easy_ptr(CURL *e, CURLoption o, const void *v);
CURLcode mockllm_curl_easy_string(CURL *e, CURLoption o, const char *v);
CURLcode mockllm_curl_easy_slist(CURL *e, CURLoption o, struct curl_slist *v);
CURLcode mockllm_curl_easy_write_function(CURL *e, CURLoption o, curl_write_callback f);

CURLMcode mockllm_curl_multi_long(CURLM *m, CURLMoption o, long v);
CURLMcode mockllm_curl_multi_ptr(CURLM *m, CURLMoption o, void *v);
CURLMcode mockllm_curl_multi_socket_function(CURLM *m, curl_socket_callback f);
CURLMcode mockllm_curl_multi_timer_function(CURLM *m, curl_multi_timer_callback f);

CURLcode mockllm_curl_info_long(CURL *e, CURLINFO i, long *v);
CURLcode mockllm_curl_info_ptr(CURL *e, CURLINFO i, char **v);

/* CURLMsg's payload is a union; Swift reads the result through this. */
static inline CURLcode mockllm_curl_msg_result(const CURLMsg *m) { return m->data.result; }

/* The macros Swift does not import (they are casts or expressions). */
static inline curl_socket_t mockllm_curl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }

#endif
