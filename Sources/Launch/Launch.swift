/// Turns a declarative VM spec into a QEMU argument vector or a libvirt domain XML.
import SEVKit
