#include "chostprobe.h"

#include <sys/ioctl.h>
#include <linux/kvm.h>

int csev_kvm_api_version(int fd) {
    return ioctl(fd, KVM_GET_API_VERSION, 0);
}
