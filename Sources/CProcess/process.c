#define _GNU_SOURCE
#include "cprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(sizeof(csev_ucred) == sizeof(struct ucred), "csev_ucred must match struct ucred");
_Static_assert(offsetof(csev_ucred, pid) == offsetof(struct ucred, pid), "ucred.pid offset");
_Static_assert(offsetof(csev_ucred, uid) == offsetof(struct ucred, uid), "ucred.uid offset");
_Static_assert(offsetof(csev_ucred, gid) == offsetof(struct ucred, gid), "ucred.gid offset");

int csev_spawn_session(const char *path, char *const argv[], char *const envp[], const char *cwd, int log_fd, pid_t *pid) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    int status = posix_spawnattr_init(&attributes);
    if (status != 0) return status;
    status = posix_spawn_file_actions_init(&actions);
    if (status != 0) {
        posix_spawnattr_destroy(&attributes);
        return status;
    }
    // A clean signal state: the daemon's ignored or blocked signals are not QEMU's business.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if ((status = posix_spawnattr_setflags(&attributes, flags)) != 0) goto done;
    if ((status = posix_spawnattr_setsigmask(&attributes, &none)) != 0) goto done;
    if ((status = posix_spawnattr_setsigdefault(&attributes, &all)) != 0) goto done;
    if ((status = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) != 0) goto done;
    if ((status = posix_spawn_file_actions_adddup2(&actions, log_fd, 1)) != 0) goto done;
    if ((status = posix_spawn_file_actions_adddup2(&actions, log_fd, 2)) != 0) goto done;
    // Nothing else of the daemon's goes along: a listening API socket or the database held
    // open by a guest would outlive the daemon and answer for it.
    if ((status = posix_spawn_file_actions_addclosefrom_np(&actions, 3)) != 0) goto done;
    if (cwd != NULL && (status = posix_spawn_file_actions_addchdir_np(&actions, cwd)) != 0) goto done;
    status = posix_spawnp(pid, path, &actions, &attributes, argv, envp);
done:
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return status;
}

int csev_process_groups(pid_t pid, uint32_t *groups, int capacity) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *file = fopen(path, "re");
    if (file == NULL) return -1;
    char line[4096];
    int count = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        if (strncmp(line, "Groups:", 7) != 0) continue;
        char *cursor = line + 7;
        while (count < capacity) {
            char *end;
            unsigned long value = strtoul(cursor, &end, 10);
            if (end == cursor) break;
            groups[count++] = (uint32_t)value;
            cursor = end;
        }
        break;
    }
    fclose(file);
    return count;
}
