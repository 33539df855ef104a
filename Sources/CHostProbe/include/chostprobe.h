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

/// KVM_GET_DEVICE_ATTR on /dev/kvm, group KVM_X86_GRP_SEV (1): attribute 0 is
/// KVM_X86_SEV_VMSA_FEATURES (the vmsa_features KVM_SEV_INIT2 accepts), 2 is
/// KVM_X86_SEV_SNP_REQ_CERTS (1 when the kernel has the KVM_EXIT_SNP_REQ_CERTS exit, Linux 7.0).
/// Returns 0 with `*value` set, or -1 with errno (ENXIO: the kernel has no such attribute).
int csev_kvm_sev_attribute(int fd, uint64_t attribute, uint64_t *value);

#endif
