/* Opens libcurl at run time and calls it through pointers (see include/CCurl.h). */

#define CURL_DISABLE_TYPECHECK 1 /* curl_easy_setopt & co. are only pointers here */
#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Every function the client calls, resolved from one opened library. */
struct mockllm_curl_api {
    CURLcode (*global_init)(long flags);
    curl_version_info_data *(*version_info)(CURLversion age);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *e);
    CURLcode (*easy_setopt)(CURL *e, CURLoption o, ...);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO i, ...);
    const char *(*easy_strerror)(CURLcode code);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *m);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev_bitmask, int *running_handles);
    CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
    const char *(*multi_strerror)(CURLMcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
};

#define MOCKLLM_CURL_SYMBOL(field) { "curl_" #field, offsetof(struct mockllm_curl_api, field) }
static const struct {
    const char *name;
    size_t offset;
} mockllm_curl_symbols[] = {
    MOCKLLM_CURL_SYMBOL(global_init),
    MOCKLLM_CURL_SYMBOL(version_info),
    MOCKLLM_CURL_SYMBOL(easy_init),
    MOCKLLM_CURL_SYMBOL(easy_cleanup),
    MOCKLLM_CURL_SYMBOL(easy_setopt),
    MOCKLLM_CURL_SYMBOL(easy_getinfo),
    MOCKLLM_CURL_SYMBOL(easy_strerror),
    MOCKLLM_CURL_SYMBOL(multi_init),
    MOCKLLM_CURL_SYMBOL(multi_cleanup),
    MOCKLLM_CURL_SYMBOL(multi_setopt),
    MOCKLLM_CURL_SYMBOL(multi_add_handle),
    MOCKLLM_CURL_SYMBOL(multi_remove_handle),
    MOCKLLM_CURL_SYMBOL(multi_socket_action),
    MOCKLLM_CURL_SYMBOL(multi_info_read),
    MOCKLLM_CURL_SYMBOL(multi_strerror),
    MOCKLLM_CURL_SYMBOL(slist_append),
    MOCKLLM_CURL_SYMBOL(slist_free_all),
};

const char *mockllm_curl_library_name(void) {
#if defined(__APPLE__)
    return "libcurl.4.dylib";
#else
    return "libcurl.so.4";
#endif
}

/* dlopen, every symbol, the version. On success *handle is the open library and api is filled;
 * otherwise the library is closed again and detail says why. */
static int mockllm_curl_open(const char *name, void **handle, struct mockllm_curl_api *api,
                             char *version, size_t version_size, char *detail, size_t detail_size) {
    memset(api, 0, sizeof *api);
    *handle = NULL;
    if (detail_size > 0) detail[0] = '\0';
    /* RTLD_LOCAL: libcurl's symbols (and those of OpenSSL and the rest it pulls in) stay out of
     * the process's global namespace. */
    void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(detail, detail_size, "%s", why != NULL ? why : name);
        return MOCKLLM_CURL_NO_LIBRARY;
    }
    for (size_t i = 0; i < sizeof mockllm_curl_symbols / sizeof mockllm_curl_symbols[0]; i++) {
        (void)dlerror();
        void *symbol = dlsym(library, mockllm_curl_symbols[i].name);
        if (symbol == NULL) {
            const char *why = dlerror();
            snprintf(detail, detail_size, "%s (%s)", mockllm_curl_symbols[i].name, why != NULL ? why : "not found");
            dlclose(library);
            memset(api, 0, sizeof *api);
            return MOCKLLM_CURL_NO_SYMBOL;
        }
        /* POSIX guarantees a function pointer survives the round trip through void *. */
        memcpy((char *)api + mockllm_curl_symbols[i].offset, &symbol, sizeof symbol);
    }
    curl_version_info_data *info = api->version_info(CURLVERSION_FIRST);
    unsigned int number = info != NULL ? info->version_num : 0;
    const char *text = info != NULL && info->version != NULL ? info->version : "unknown";
    snprintf(version, version_size, "%s", text);
    if (number < MOCKLLM_CURL_MIN_VERSION_NUM) {
        snprintf(detail, detail_size, "%s", text);
        dlclose(library);
        memset(api, 0, sizeof *api);
        return MOCKLLM_CURL_TOO_OLD;
    }
    *handle = library;
    return MOCKLLM_CURL_LOADED;
}

/* The process's libcurl: written once inside pthread_once, read only after it. */
static pthread_once_t mockllm_curl_once = PTHREAD_ONCE_INIT;
static struct mockllm_curl_api api;
static int mockllm_curl_status = MOCKLLM_CURL_NO_LIBRARY;
static char mockllm_curl_detail[512];
static char mockllm_curl_version_text[64];

static void mockllm_curl_load_once(void) {
    void *handle = NULL;
    mockllm_curl_status = mockllm_curl_open(mockllm_curl_library_name(), &handle, &api, mockllm_curl_version_text,
                                            sizeof mockllm_curl_version_text, mockllm_curl_detail,
                                            sizeof mockllm_curl_detail);
    if (mockllm_curl_status != MOCKLLM_CURL_LOADED) return;
    /* Never closed: libcurl stays for the life of the process, like a linked library. */
    CURLcode code = api.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        snprintf(mockllm_curl_detail, sizeof mockllm_curl_detail, "%s", api.easy_strerror(code));
        mockllm_curl_status = MOCKLLM_CURL_INIT_FAILED;
    }
}

int mockllm_curl_load(const char **detail) {
    pthread_once(&mockllm_curl_once, mockllm_curl_load_once);
    if (detail != NULL) *detail = mockllm_curl_detail;
    return mockllm_curl_status;
}

int mockllm_curl_check(const char *name, char *detail, size_t detail_size) {
    void *handle = NULL;
    struct mockllm_curl_api checked;
    char version[64];
    int status = mockllm_curl_open(name, &handle, &checked, version, sizeof version, detail, detail_size);
    if (handle != NULL) dlclose(handle);
    return status;
}

const char *mockllm_curl_version(void) { return mockllm_curl_version_text; }

CURL *mockllm_curl_easy_init(void) { return api.easy_init(); }
void mockllm_curl_easy_cleanup(CURL *e) { api.easy_cleanup(e); }
const char *mockllm_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
CURLM *mockllm_curl_multi_init(void) { return api.multi_init(); }
CURLMcode mockllm_curl_multi_cleanup(CURLM *m) { return api.multi_cleanup(m); }
CURLMcode mockllm_curl_multi_add_handle(CURLM *m, CURL *e) { return api.multi_add_handle(m, e); }
CURLMcode mockllm_curl_multi_remove_handle(CURLM *m, CURL *e) { return api.multi_remove_handle(m, e); }
CURLMcode mockllm_curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev_bitmask, int *running_handles) {
    return api.multi_socket_action(m, s, ev_bitmask, running_handles);
}
CURLMsg *mockllm_curl_multi_info_read(CURLM *m, int *msgs_in_queue) { return api.multi_info_read(m, msgs_in_queue); }
const char *mockllm_curl_multi_strerror(CURLMcode code) { return api.multi_strerror(code); }
struct curl_slist *mockllm_curl_slist_append(struct curl_slist *list, const char *string) {
    return api.slist_append(list, string);
}
void mockllm_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }

CURLcode mockllm_curl_easy_long(CURL *e, CURLoption o, long v) { return api.easy_setopt(e, o, v); }
CURLcode mockllm_curl_easy_off(CURL *e, CURLoption o, curl_off_t v) { return api.easy_setopt(e, o, v); }
CURLcode mockllm_curl_easy_ptr(CURL *e, CURLoption o, const void *v) { return api.easy_setopt(e, o, v); }
CURLcode mockllm_curl_easy_string(CURL *e, CURLoption o, const char *v) { return api.easy_setopt(e, o, v); }
CURLcode mockllm_curl_easy_slist(CURL *e, CURLoption o, struct curl_slist *v) { return api.easy_setopt(e, o, v); }
CURLcode mockllm_curl_easy_write_function(CURL *e, CURLoption o, curl_write_callback f) {
    return api.easy_setopt(e, o, f);
}

CURLMcode mockllm_curl_multi_long(CURLM *m, CURLMoption o, long v) { return api.multi_setopt(m, o, v); }
CURLMcode mockllm_curl_multi_ptr(CURLM *m, CURLMoption o, void *v) { return api.multi_setopt(m, o, v); }
CURLMcode mockllm_curl_multi_socket_function(CURLM *m, curl_socket_callback f) {
    return api.multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f);
}
CURLMcode mockllm_curl_multi_timer_function(CURLM *m, curl_multi_timer_callback f) {
    return api.multi_setopt(m, CURLMOPT_TIMERFUNCTION, f);
}

CURLcode mockllm_curl_info_long(CURL *e, CURLINFO i, long *v) { return api.easy_getinfo(e, i, v); }
CURLcode mockllm_curl_info_ptr(CURL *e, CURLINFO i, char **v) { return api.easy_getinfo(e, i, v); }
