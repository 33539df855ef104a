#ifndef CSEVPLATFORM_H
#define CSEVPLATFORM_H

#include <stdint.h>

/// Registers of one CPUID leaf/subleaf.
typedef struct {
    uint32_t eax, ebx, ecx, edx;
} csev_cpuid_regs;

/// Executes CPUID on the current CPU. Returns 0 on x86-64; -1 on other architectures,
/// where the registers are zeroed (the probe then reports that CPUID is unavailable).
int csev_cpuid(uint32_t leaf, uint32_t subleaf, csev_cpuid_regs *out);

#endif
