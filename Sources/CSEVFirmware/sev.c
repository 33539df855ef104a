#include "csevfirmware.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#if CSEV_HAVE_PSP_SEV

int csev_sev_issue_cmd(int fd, uint32_t command, void *data, uint32_t *firmware_error) {
    struct sev_issue_cmd arg;
    memset(&arg, 0, sizeof arg);
    arg.cmd = command;
    arg.data = (__u64)(uintptr_t)data;
    int result = ioctl(fd, SEV_ISSUE_CMD, &arg);
    if (firmware_error) *firmware_error = arg.error;
    return result;
}

int32_t csev_command_number(csev_command command) {
    switch (command) {
    case CSEV_CMD_FACTORY_RESET: return SEV_FACTORY_RESET;
    case CSEV_CMD_PLATFORM_STATUS: return SEV_PLATFORM_STATUS;
    case CSEV_CMD_PEK_GEN: return SEV_PEK_GEN;
    case CSEV_CMD_PEK_CSR: return SEV_PEK_CSR;
    case CSEV_CMD_PDH_GEN: return SEV_PDH_GEN;
    case CSEV_CMD_PDH_CERT_EXPORT: return SEV_PDH_CERT_EXPORT;
    case CSEV_CMD_PEK_CERT_IMPORT: return SEV_PEK_CERT_IMPORT;
    case CSEV_CMD_GET_ID2: return SEV_GET_ID2;
    case CSEV_CMD_SNP_PLATFORM_STATUS: return SNP_PLATFORM_STATUS;
    case CSEV_CMD_SNP_COMMIT: return SNP_COMMIT;
    case CSEV_CMD_SNP_SET_CONFIG: return SNP_SET_CONFIG;
    case CSEV_CMD_SNP_VLEK_LOAD: return SNP_VLEK_LOAD;
    }
    return -1;
}

#define FIELD(s, f) { #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f) }
#define SIZE(s) { #s, "sizeof", 0, sizeof(struct s) }

static const csev_field_layout layouts[] = {
    SIZE(sev_issue_cmd),
    FIELD(sev_issue_cmd, cmd), FIELD(sev_issue_cmd, data), FIELD(sev_issue_cmd, error),
    SIZE(sev_user_data_status),
    FIELD(sev_user_data_status, api_major), FIELD(sev_user_data_status, api_minor),
    FIELD(sev_user_data_status, state), FIELD(sev_user_data_status, flags),
    FIELD(sev_user_data_status, build), FIELD(sev_user_data_status, guest_count),
    SIZE(sev_user_data_pek_csr),
    FIELD(sev_user_data_pek_csr, address), FIELD(sev_user_data_pek_csr, length),
    SIZE(sev_user_data_pek_cert_import),
    FIELD(sev_user_data_pek_cert_import, pek_cert_address), FIELD(sev_user_data_pek_cert_import, pek_cert_len),
    FIELD(sev_user_data_pek_cert_import, oca_cert_address), FIELD(sev_user_data_pek_cert_import, oca_cert_len),
    SIZE(sev_user_data_pdh_cert_export),
    FIELD(sev_user_data_pdh_cert_export, pdh_cert_address), FIELD(sev_user_data_pdh_cert_export, pdh_cert_len),
    FIELD(sev_user_data_pdh_cert_export, cert_chain_address), FIELD(sev_user_data_pdh_cert_export, cert_chain_len),
    SIZE(sev_user_data_get_id2),
    FIELD(sev_user_data_get_id2, address), FIELD(sev_user_data_get_id2, length),
    SIZE(sev_user_data_snp_status),
    FIELD(sev_user_data_snp_status, api_major), FIELD(sev_user_data_snp_status, api_minor),
    FIELD(sev_user_data_snp_status, state), FIELD(sev_user_data_snp_status, build_id),
    FIELD(sev_user_data_snp_status, guest_count), FIELD(sev_user_data_snp_status, current_tcb_version),
    FIELD(sev_user_data_snp_status, reported_tcb_version),
    SIZE(sev_user_data_snp_config),
    FIELD(sev_user_data_snp_config, reported_tcb), FIELD(sev_user_data_snp_config, rsvd1),
    SIZE(sev_user_data_snp_vlek_load),
    FIELD(sev_user_data_snp_vlek_load, len), FIELD(sev_user_data_snp_vlek_load, vlek_wrapped_version),
    FIELD(sev_user_data_snp_vlek_load, rsvd), FIELD(sev_user_data_snp_vlek_load, vlek_wrapped_address),
    SIZE(sev_user_data_snp_wrapped_vlek_hashstick),
    FIELD(sev_user_data_snp_wrapped_vlek_hashstick, data),
};

const csev_field_layout *csev_field_layouts(size_t *count) {
    *count = sizeof layouts / sizeof layouts[0];
    return layouts;
}

/// Finds a bit-field's byte by setting it in a zeroed structure and looking where it landed:
/// offsetof cannot name a bit-field.
static size_t first_nonzero(const unsigned char *bytes, size_t size) {
    for (size_t i = 0; i < size; i++)
        if (bytes[i]) return i;
    return (size_t)-1;
}

size_t csev_snp_status_flags_byte(void) {
    struct sev_user_data_snp_status status;
    memset(&status, 0, sizeof status);
    status.is_rmp_initialized = 1;
    return first_nonzero((const unsigned char *)&status, sizeof status);
}

size_t csev_snp_config_flags_byte(void) {
    struct sev_user_data_snp_config config;
    memset(&config, 0, sizeof config);
    config.mask_chip_id = 1;
    return first_nonzero((const unsigned char *)&config, sizeof config);
}

#else

int csev_sev_issue_cmd(int fd, uint32_t command, void *data, uint32_t *firmware_error) {
    (void)fd; (void)command; (void)data;
    if (firmware_error) *firmware_error = 0;
    errno = ENOSYS;
    return -1;
}

int32_t csev_command_number(csev_command command) { (void)command; return -1; }

const csev_field_layout *csev_field_layouts(size_t *count) { *count = 0; return NULL; }
size_t csev_snp_status_flags_byte(void) { return (size_t)-1; }
size_t csev_snp_config_flags_byte(void) { return (size_t)-1; }

#endif
