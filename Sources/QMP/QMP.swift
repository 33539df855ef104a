/// An async client for the QEMU Machine Protocol over a Unix socket.
import SEVKit
