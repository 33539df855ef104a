#define _GNU_SOURCE
#include "cfilelock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static struct flock whole_file(short type) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);  // l_pid must be 0 for OFD locks
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    return lock;
}

int cfilelock_lock(int fd, int exclusive, int wait) {
    struct flock lock = whole_file(exclusive ? F_WRLCK : F_RDLCK);
    int result;
    do {
        result = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock);
    } while (result != 0 && errno == EINTR);
    return result;
}

int cfilelock_unlock(int fd) {
    struct flock lock = whole_file(F_UNLCK);
    return fcntl(fd, F_OFD_SETLK, &lock);
}

int cfilelock_conflicts(int fd, int exclusive) {
    struct flock lock = whole_file(exclusive ? F_WRLCK : F_RDLCK);
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return -1;
    return lock.l_type == F_UNLCK ? 0 : 1;
}
