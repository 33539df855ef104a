#include "chostprobe.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int csev_cpuid(uint32_t leaf, uint32_t subleaf, csev_cpuid_regs *out) {
    unsigned int a, b, c, d;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    out->eax = a; out->ebx = b; out->ecx = c; out->edx = d;
    return 0;
}
#else
int csev_cpuid(uint32_t leaf, uint32_t subleaf, csev_cpuid_regs *out) {
    (void)leaf; (void)subleaf;
    out->eax = out->ebx = out->ecx = out->edx = 0;
    return -1;
}
#endif
