#define _GNU_SOURCE
#include "cprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

// The write end of the pipe the parent waits on, and the original stderr the relay copies to.
static int ready_fd = -1;
static int original_stderr = -1;
static int relay_read = -1;
static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;

static void *relay(void *unused) {
    (void)unused;
    char buffer[4096];
    for (;;) {
        ssize_t count = read(relay_read, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return NULL;
        pthread_mutex_lock(&relay_lock);
        for (ssize_t done = 0; original_stderr >= 0 && done < count;) {
            ssize_t written = write(original_stderr, buffer + done, (size_t)(count - done));
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) break;
            done += written;
        }
        pthread_mutex_unlock(&relay_lock);
    }
}

int csev_daemonize(void) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return -1;
    pid_t child = fork();
    if (child < 0) {
        int error = errno;
        close(ready[0]);
        close(ready[1]);
        errno = error;
        return -1;
    }
    if (child > 0) {
        close(ready[1]);
        char byte;
        ssize_t count;
        do {
            count = read(ready[0], &byte, 1);
        } while (count < 0 && errno == EINTR);
        if (count == 1) _exit(0);
        int status;
        if (waitpid(child, &status, WNOHANG) == child && WIFEXITED(status)) _exit(WEXITSTATUS(status));
        _exit(1);
    }
    close(ready[0]);
    ready_fd = ready[1];
    setsid();
    int output[2];
    if (pipe2(output, O_CLOEXEC) != 0) return 0;  // messages then go straight to stderr
    original_stderr = fcntl(2, F_DUPFD_CLOEXEC, 3);
    relay_read = output[0];
    dup2(output[1], 1);
    dup2(output[1], 2);
    close(output[1]);
    pthread_t thread;
    if (pthread_create(&thread, NULL, relay, NULL) == 0) pthread_detach(thread);
    return 0;
}

void csev_daemon_ready(void) {
    if (ready_fd < 0) return;
    char byte = 1;
    ssize_t ignored = write(ready_fd, &byte, 1);
    (void)ignored;
    close(ready_fd);
    ready_fd = -1;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    pthread_mutex_lock(&relay_lock);
    if (original_stderr >= 0) close(original_stderr);
    original_stderr = -1;
    pthread_mutex_unlock(&relay_lock);
}
