#ifndef MOCKLLM_CCURL_SHIM_H
#define MOCKLLM_CCURL_SHIM_H

#include <curl/curl.h>

/* curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift cannot
 * call: these typed wrappers are what MockLLMUpstream uses instead. */
static inline CURLcode mockllm_curl_easy_long(CURL *e, CURLoption o, long v) { return curl_easy_setopt(e, o, v); }
static inline CURLcode mockllm_curl_easy_off(CURL *e, CURLoption o, curl_off_t v) { return curl_easy_setopt(e, o, v); }
static inline CURLcode mockllm_curl_easy_ptr(CURL *e, CURLoption o, const void *v) { return curl_easy_setopt(e, o, v); }
static inline CURLcode mockllm_curl_easy_string(CURL *e, CURLoption o, const char *v) { return curl_easy_setopt(e, o, v); }
static inline CURLcode mockllm_curl_easy_slist(CURL *e, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(e, o, v); }
static inline CURLcode mockllm_curl_easy_write_function(CURL *e, CURLoption o, curl_write_callback f) { return curl_easy_setopt(e, o, f); }

static inline CURLMcode mockllm_curl_multi_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode mockllm_curl_multi_ptr(CURLM *m, CURLMoption o, void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode mockllm_curl_multi_socket_function(CURLM *m, curl_socket_callback f) {
    return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
static inline CURLMcode mockllm_curl_multi_timer_function(CURLM *m, curl_multi_timer_callback f) {
    return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}

static inline CURLcode mockllm_curl_info_long(CURL *e, CURLINFO i, long *v) { return curl_easy_getinfo(e, i, v); }
static inline CURLcode mockllm_curl_info_ptr(CURL *e, CURLINFO i, char **v) { return curl_easy_getinfo(e, i, v); }

/* CURLMsg's payload is a union; Swift reads the result through this. */
static inline CURLcode mockllm_curl_msg_result(const CURLMsg *m) { return m->data.result; }

/* The macros Swift does not import (they are casts or expressions). */
static inline curl_socket_t mockllm_curl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }

#endif
