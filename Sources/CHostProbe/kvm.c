#include "chostprobe.h"

#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

int csev_kvm_api_version(int fd) {
    return ioctl(fd, KVM_GET_API_VERSION, 0);
}

int csev_kvm_sev_attribute(int fd, uint64_t attribute, uint64_t *value) {
    struct kvm_device_attr request;
    memset(&request, 0, sizeof request);
    request.group = 1;  // KVM_X86_GRP_SEV (<asm/kvm.h>, Linux 6.11 and later)
    request.attr = attribute;
    request.addr = (uint64_t)(uintptr_t)value;
    return ioctl(fd, KVM_GET_DEVICE_ATTR, &request);
}
