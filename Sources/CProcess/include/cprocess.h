#ifndef CPROCESS_H
#define CPROCESS_H

#include <stdint.h>
#include <sys/types.h>

/// The credentials of a Unix socket's peer (SO_PEERCRED). Laid out as the kernel's
/// `struct ucred`, which Swift cannot see without _GNU_SOURCE; process.c asserts the layout
/// against the real structure at compile time, so it can be read with getsockopt directly.
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} csev_ucred;

/// Starts `path` (looked up in PATH when it has no slash) with `argv` and `envp` in a new session (so the child outlives its parent's
/// process group and terminal, and a daemon can be killed without taking its guests along),
/// with `cwd` as its working directory, stdin from /dev/null and stdout and stderr on `log_fd`.
/// Returns 0 and the child's pid, or an errno value. posix_spawn, not fork: the daemon is
/// multithreaded.
int csev_spawn_session(const char *path, char *const argv[], char *const envp[], const char *cwd, int log_fd, pid_t *pid);

/// Supplementary groups of process `pid` from /proc/PID/status, at most `capacity`; returns
/// the count written, or -1 when the file cannot be read.
int csev_process_groups(pid_t pid, uint32_t *groups, int capacity);

/// Starts `path` (an absolute path) with `argv` and `envp` as a child that cannot outlive its
/// parent: the kernel sends it SIGKILL when the thread that called this function exits
/// (PR_SET_PDEATHSIG), which includes every way the process can die, `kill -9` too. The child
/// keeps the caller's stdin, stdout and stderr and nothing else; its signal mask is empty and
/// every signal has its default action, whatever the caller blocked or ignored.
///
/// Returns 0 and the child's pid, or an errno value: the fork's, or the exec's (reported back
/// through a close-on-exec pipe, so a missing program is an error here, not a child that exits).
///
/// fork, not posix_spawn: the death signal must be set in the child between fork and exec, and
/// posix_spawn has no attribute for it. The child calls only async-signal-safe functions.
int csev_spawn_tied(const char *path, char *const argv[], char *const envp[], pid_t *pid);
#endif
