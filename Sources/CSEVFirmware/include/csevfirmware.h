#ifndef CSEVFIRMWARE_H
#define CSEVFIRMWARE_H

// The SEV platform-management ioctls of /dev/sev, through the kernel's own UAPI header.
// Swift sees the structures exactly as <linux/psp-sev.h> declares them (no copied layouts);
// this shim only adds what Swift cannot do: the variadic ioctl(2) call, and the sizes and
// field offsets of each structure as the C compiler lays them out, for the layout test.

#include <stdint.h>
#include <stddef.h>

#ifdef __linux__
#include <linux/psp-sev.h>
#define CSEV_HAVE_PSP_SEV 1
#else
#define CSEV_HAVE_PSP_SEV 0
#endif

/// SEV_ISSUE_CMD on an open /dev/sev descriptor. Returns the ioctl result (0, or -1 with
/// errno set); `*firmware_error` receives the firmware status code the kernel reported.
int csev_sev_issue_cmd(int fd, uint32_t command, void *data, uint32_t *firmware_error);

/// Command numbers of the header's enum, exported so Swift never restates them.
typedef enum {
    CSEV_CMD_FACTORY_RESET,
    CSEV_CMD_PLATFORM_STATUS,
    CSEV_CMD_PEK_GEN,
    CSEV_CMD_PEK_CSR,
    CSEV_CMD_PDH_GEN,
    CSEV_CMD_PDH_CERT_EXPORT,
    CSEV_CMD_PEK_CERT_IMPORT,
    CSEV_CMD_GET_ID2,
    CSEV_CMD_SNP_PLATFORM_STATUS,
    CSEV_CMD_SNP_COMMIT,
    CSEV_CMD_SNP_SET_CONFIG,
    CSEV_CMD_SNP_VLEK_LOAD,
} csev_command;

/// The header's value for a command (its position in the kernel's enum), or -1 off Linux.
int32_t csev_command_number(csev_command command);

/// One measured field of an ioctl structure: offset and size in bytes as the C compiler
/// lays them out. Bit-fields are reported at the byte holding their lowest bit, size 0.
typedef struct {
    const char *structure;
    const char *field;
    size_t offset;
    size_t size;
} csev_field_layout;

/// The table of fields (structure size entries have field "sizeof"); `*count` receives its length.
const csev_field_layout *csev_field_layouts(size_t *count);

/// The byte of struct sev_user_data_snp_status holding is_rmp_initialized (the firmware's
/// flags byte: bit 0 RMP initialized, bit 1 alias check complete, which the header leaves reserved).
size_t csev_snp_status_flags_byte(void);

/// The byte of struct sev_user_data_snp_config holding mask_chip_id (bit 0) and mask_chip_key (bit 1).
size_t csev_snp_config_flags_byte(void);

#endif
