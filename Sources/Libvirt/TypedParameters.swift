import CLibvirt

/// A list of libvirt typed parameters (`virTypedParameter`) that libvirt allocated or that
/// sevhost builds; read and written through libvirt's own accessors, never by layout.
struct TypedParameters: ~Copyable {
    var pointer: virTypedParameterPtr?
    var count: Int32 = 0
    private var capacity: Int32 = 0

    init() {}

    init(taking pointer: virTypedParameterPtr?, count: Int32) {
        self.pointer = pointer
        self.count = count
        self.capacity = count
    }

    deinit {
        if let pointer { virTypedParamsFree(pointer, count) }
    }

    func string(_ name: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard virTypedParamsGetString(pointer, count, name, &value) == 1, let value else { return nil }
        return String(cString: value)
    }

    func uint(_ name: String) -> UInt32? {
        var value: UInt32 = 0
        return virTypedParamsGetUInt(pointer, count, name, &value) == 1 ? value : nil
    }

    func int(_ name: String) -> Int32? {
        var value: Int32 = 0
        return virTypedParamsGetInt(pointer, count, name, &value) == 1 ? value : nil
    }

    func ulonglong(_ name: String) -> UInt64? {
        var value: UInt64 = 0
        return virTypedParamsGetULLong(pointer, count, name, &value) == 1 ? value : nil
    }

    /// An unsigned value whichever width libvirt sent it in (it widened some fields over time).
    func unsigned(_ name: String) -> UInt64? {
        if let value = uint(name) { return UInt64(value) }
        if let value = ulonglong(name) { return value }
        if let value = int(name), value >= 0 { return UInt64(value) }
        return nil
    }

    mutating func add(_ name: String, string value: String) throws(LibvirtError) {
        guard virTypedParamsAddString(&pointer, &count, &capacity, name, value) == 0 else {
            throw LibvirtError.last("cannot add the typed parameter \(name)")
        }
    }

    mutating func add(_ name: String, ulonglong value: UInt64) throws(LibvirtError) {
        guard virTypedParamsAddULLong(&pointer, &count, &capacity, name, value) == 0 else {
            throw LibvirtError.last("cannot add the typed parameter \(name)")
        }
    }
}
