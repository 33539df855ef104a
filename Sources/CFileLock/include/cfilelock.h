#ifndef CFILELOCK_H
#define CFILELOCK_H

// Open-file-description locks (fcntl F_OFD_SETLK, F_OFD_SETLKW, F_OFD_GETLK), which glibc
// declares only under _GNU_SOURCE and Swift therefore does not see. They are the locks the
// Linux KVM documentation names for the SNP certificate blob (see CertificateTableFile).

/// Locks the whole file open on `fd`: shared (read) or exclusive (write); `wait` blocks until
/// granted (F_OFD_SETLKW, retried on EINTR), else fails at once with EAGAIN. 0 or -1 with errno.
int cfilelock_lock(int fd, int exclusive, int wait);

/// Drops this open file description's lock on the whole file. 0 or -1 with errno.
int cfilelock_unlock(int fd);

/// Whether a lock of the given kind could be taken now: 0 when it could, 1 when another open
/// file description holds a conflicting lock, -1 with errno on failure (F_OFD_GETLK).
int cfilelock_conflicts(int fd, int exclusive);

#endif
