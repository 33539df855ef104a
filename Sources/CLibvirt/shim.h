// libvirt's C API (libvirt-dev, 11.3 from bookworm-backports), for the Libvirt target only.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// VIR_DOMAIN_EVENT_CALLBACK is a macro (a cast of the typed callback to the generic one), which
// Swift cannot call: the lifecycle registration, with its cast, as a function.
static inline int sevhost_register_lifecycle_events(
    virConnectPtr connection, virDomainPtr domain, virConnectDomainEventCallback callback, void *opaque, virFreeCallback release) {
    return virConnectDomainEventRegisterAny(
        connection, domain, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(callback), opaque, release);
}
