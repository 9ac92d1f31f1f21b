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

/* A one-shot timer with nanosecond resolution that a loop can poll (Linux timerfd); libuv's own
 * timers count whole milliseconds. Elsewhere these return -1 and callers fall back to uv_timer. */
#ifdef __linux__
#include <sys/timerfd.h>
#include <unistd.h>
static inline int mockllm_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}
/* Arms for an absolute CLOCK_MONOTONIC time in nanoseconds (uv_hrtime's clock); 0 disarms.
 * Either way the expirations not yet read are cleared (timerfd_setup zeroes the tick count), so
 * an owner that always re-arms or disarms after a wake-up never needs to read the fd. */
static inline int mockllm_timerfd_arm(int fd, uint64_t deadline) {
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = (time_t)(deadline / 1000000000u);
    spec.it_value.tv_nsec = (long)(deadline % 1000000000u);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}
static inline void mockllm_close_fd(int fd) { close(fd); }
#else
static inline int mockllm_timerfd_create(void) { return -1; }
static inline int mockllm_timerfd_arm(int fd, uint64_t deadline) { (void)fd; (void)deadline; return -1; }
static inline void mockllm_close_fd(int fd) { (void)fd; }
#endif
/* Names the calling thread (shown by top -H and in profilers). */
#ifdef __linux__
#include <sys/prctl.h>
static inline void mockllm_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
#else
static inline void mockllm_name_thread(const char *name) { (void)name; }
#endif
static inline uv_handle_t *mockllm_poll_as_handle(uv_poll_t *p) { return (uv_handle_t *)p; }

#endif
