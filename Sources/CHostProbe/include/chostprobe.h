#ifndef CHOSTPROBE_H
#define CHOSTPROBE_H

#include <stdint.h>
#include <sys/types.h>

/// Registers of one CPUID leaf/subleaf.
typedef struct {
    uint32_t eax, ebx, ecx, edx;
} csev_cpuid_regs;

/// Executes CPUID on the current CPU. Returns 0 on x86-64; -1 on other architectures,
/// where the registers are zeroed (the probe then reports that CPUID is unavailable).
int csev_cpuid(uint32_t leaf, uint32_t subleaf, csev_cpuid_regs *out);

/// KVM_GET_API_VERSION on an open /dev/kvm descriptor: the API version (12 on every kernel
/// since 2.6.22), or -1 with errno set. A shim because Swift cannot call variadic ioctl(2).
int csev_kvm_api_version(int fd);

#endif
