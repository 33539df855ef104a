// libvirt's C API (libvirt-dev, 11.3 from bookworm-backports), for the Libvirt target only.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
