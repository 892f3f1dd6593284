/* The C library, for swiftsql-authd's one system boundary file
 * (Sources/swiftsql-authd/ServeSystem.swift): sockets, epoll, eventfd,
 * signalfd, threads, users and groups, resource limits, syslog. syslog(3)
 * and fcntl(2) are variadic and errno is a macro: Swift can call none of
 * them, so each goes through an inline function here. */
#ifndef SWIFTSQL_AUTHD_CSERVE_SHIM_H
#define SWIFTSQL_AUTHD_CSERVE_SHIM_H

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static inline int swiftsql_authd_errno(void) { return errno; }

/* syslog(3) with the message as data, never as a format. */
static inline void swiftsql_authd_syslog(int priority, const char *message) { syslog(priority, "%s", message); }

/* fcntl(2) F_GETFL / F_SETFL. */
static inline int swiftsql_authd_nonblocking(int descriptor) {
  int flags = fcntl(descriptor, F_GETFL);
  if (flags < 0) return -1;
  return fcntl(descriptor, F_SETFL, flags | O_NONBLOCK);
}

/* fcntl(2) F_SETFD FD_CLOEXEC. */
static inline int swiftsql_authd_cloexec(int descriptor) { return fcntl(descriptor, F_SETFD, FD_CLOEXEC); }

/* open(2) of a directory, for fchown/fchmod without a path race. */
static inline int swiftsql_authd_open_directory(const char *path) {
  return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* open(2) of /dev/null, read and write. */
static inline int swiftsql_authd_open_null(void) { return open("/dev/null", O_RDWR | O_CLOEXEC); }

/* prctl(2) with its options as ints. */
static inline int swiftsql_authd_prctl(int option, unsigned long value) { return prctl(option, value, 0, 0, 0); }

/* epoll_wait(2) into plain arrays (struct epoll_event is packed on x86-64,
 * which Swift should not have to lay out). Returns the count, or -1. */
static inline int swiftsql_authd_epoll_wait(int epoll, uint64_t *tokens, uint32_t *events, int capacity,
                                            int timeout) {
  struct epoll_event ready[256];
  if (capacity > 256) capacity = 256;
  int count = epoll_wait(epoll, ready, capacity, timeout);
  for (int index = 0; index < count; index++) {
    tokens[index] = ready[index].data.u64;
    events[index] = ready[index].events;
  }
  return count;
}

/* epoll_ctl(2) with the token as data. */
static inline int swiftsql_authd_epoll_ctl(int epoll, int operation, int descriptor, uint32_t events, uint64_t token) {
  struct epoll_event event;
  memset(&event, 0, sizeof event);
  event.events = events;
  event.data.u64 = token;
  return epoll_ctl(epoll, operation, descriptor, &event);
}

/* Blocks SIGHUP, SIGTERM and SIGINT in this thread and every thread made
 * after it, and returns a signalfd(2) that reads them; -1 on error. */
static inline int swiftsql_authd_signal_descriptor(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The next signal from that descriptor: its number, 0 when none is
 * pending, -1 on error. */
static inline int swiftsql_authd_read_signal(int descriptor) {
  struct signalfd_siginfo info;
  ssize_t got = read(descriptor, &info, sizeof info);
  if (got == (ssize_t)sizeof info) return (int)info.ssi_signo;
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  return -1;
}

/* accept4(2), non-blocking and close-on-exec (declared here: it needs
 * _GNU_SOURCE). */
extern int accept4(int descriptor, struct sockaddr *address, socklen_t *length, int flags);
static inline int swiftsql_authd_accept(int listener) {
  return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/* getpwnam_r(3): 0 and the ids when the user exists, ENOENT when not, else
 * the error. */
static inline int swiftsql_authd_user(const char *name, uid_t *uid, gid_t *gid) {
  struct passwd entry, *found = NULL;
  char buffer[4096];
  int result = getpwnam_r(name, &entry, buffer, sizeof buffer, &found);
  if (result != 0) return result;
  if (found == NULL) return ENOENT;
  *uid = entry.pw_uid;
  *gid = entry.pw_gid;
  return 0;
}

/* getpwuid_r(3): the name of a uid into buffer; 0 on success. */
static inline int swiftsql_authd_user_name(uid_t uid, char *name, size_t capacity) {
  struct passwd entry, *found = NULL;
  char buffer[4096];
  int result = getpwuid_r(uid, &entry, buffer, sizeof buffer, &found);
  if (result != 0) return result;
  if (found == NULL) return ENOENT;
  if (strlen(entry.pw_name) >= capacity) return ERANGE;
  strcpy(name, entry.pw_name);
  return 0;
}

/* getgrnam_r(3), as swiftsql_authd_user. */
static inline int swiftsql_authd_group(const char *name, gid_t *gid) {
  struct group entry, *found = NULL;
  char buffer[16384];
  int result = getgrnam_r(name, &entry, buffer, sizeof buffer, &found);
  if (result != 0) return result;
  if (found == NULL) return ENOENT;
  *gid = entry.gr_gid;
  return 0;
}

/* The number of CPUs this process may run on (sched_getaffinity(2), declared
 * here with a plain bit mask, as its cpu_set_t macros need _GNU_SOURCE), at
 * least 1. */
extern int sched_getaffinity(pid_t pid, size_t size, void *mask);
static inline int swiftsql_authd_processors(void) {
  unsigned long mask[16];
  memset(mask, 0, sizeof mask);
  if (sched_getaffinity(0, sizeof mask, mask) == 0) {
    int count = 0;
    for (unsigned index = 0; index < sizeof mask / sizeof mask[0]; index++) count += __builtin_popcountl(mask[index]);
    if (count > 0) return count;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? (int)online : 1;
}

#endif
