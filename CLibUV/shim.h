#ifndef MOCKLLM_CLIBUV_SHIM_H
#define MOCKLLM_CLIBUV_SHIM_H

#include <uv.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* Casts Swift cannot spell directly: every libuv handle type begins with uv_handle_t. */
static inline uv_handle_t *mockllm_tcp_as_handle(uv_tcp_t *t) { return (uv_handle_t *)t; }
static inline uv_stream_t *mockllm_tcp_as_stream(uv_tcp_t *t) { return (uv_stream_t *)t; }
static inline uv_tcp_t *mockllm_stream_as_tcp(uv_stream_t *s) { return (uv_tcp_t *)s; }
static inline uv_handle_t *mockllm_timer_as_handle(uv_timer_t *t) { return (uv_handle_t *)t; }
static inline uv_handle_t *mockllm_signal_as_handle(uv_signal_t *s) { return (uv_handle_t *)s; }
static inline uv_handle_t *mockllm_async_as_handle(uv_async_t *a) { return (uv_handle_t *)a; }
static inline uv_handle_t *mockllm_fs_event_as_handle(uv_fs_event_t *f) { return (uv_handle_t *)f; }
static inline uv_handle_t *mockllm_fs_poll_as_handle(uv_fs_poll_t *f) { return (uv_handle_t *)f; }

/* Ignore SIGPIPE: a peer that vanished must surface as EPIPE on write, not kill the process. */
static inline void mockllm_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

/* SO_REUSEPORT on a socket that is not yet bound (libuv 1.44 has no UV_TCP_REUSEPORT). */
static inline int mockllm_set_reuseport(uv_os_sock_t fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
}

#endif
