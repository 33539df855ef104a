#ifndef CCHILDPROCESS_H
#define CCHILDPROCESS_H

#include <sys/types.h>

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
int cchild_spawn_tied(const char *path, char *const argv[], char *const envp[], pid_t *pid);

#endif
