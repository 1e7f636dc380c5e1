import CDNNL

/// The one oneDNN CPU engine and stream of the process; every primitive runs on them.
enum OneDNN {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine")
        return engine!
    }()

    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        return stream!
    }()

    /// oneDNN returns a status from every call; a failure here is a bug in how it is called.
    static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN \(what) failed with status \(status.rawValue)")
    }

    /// A plain row-major memory descriptor (nchw / oihw / x) of float32.
    static func plainDescriptor(_ dims: [Int]) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let tag: dnnl_format_tag_t = dims.count == 4 ? dnnl_abcd : dims.count == 2 ? dnnl_ab : dnnl_a
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "memory descriptor")
        return descriptor
    }

    /// A float32 memory descriptor of these dims whose layout oneDNN may choose.
    static func anyDescriptor(_ dims: [Int]) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, dnnl_format_tag_any), "memory descriptor")
        return descriptor
    }

    /// Runs a primitive on (argument, descriptor, pointer) triples and waits for it.
    static func execute(_ primitive: dnnl_primitive_t, _ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]) {
        var memories: [dnnl_memory_t?] = []
        var execArguments: [dnnl_exec_arg_t] = []
        for (argument, descriptor, pointer) in arguments {
            var descriptor = descriptor
            var memory: dnnl_memory_t?
            check(dnnl_memory_create(&memory, &descriptor, engine, pointer), "memory")
            memories.append(memory)
            execArguments.append(dnnl_exec_arg_t(arg: argument, memory: memory))
        }
        check(dnnl_primitive_execute(primitive, stream, Int32(execArguments.count), execArguments), "execute")
        check(dnnl_stream_wait(stream), "stream wait")
        for memory in memories { dnnl_memory_destroy(memory) }
    }
}

/// Converts a tensor between the plain layout the rest of the code uses and the layout a oneDNN
/// primitive chose (blocked layouts run convolutions 2-3x faster than plain NCHW here). When
/// the two are equal it does nothing and hands out the caller's pointer.
final class LayoutBridge {
    let plain: dnnl_memory_desc_t
    let chosen: dnnl_memory_desc_t
    private var toChosen: dnnl_primitive_t?
    private var toPlain: dnnl_primitive_t?
    /// Storage in the chosen layout (nil when no conversion is needed).
    private let buffer: UnsafeMutableRawPointer?

    init(plain: dnnl_memory_desc_t, chosen: dnnl_memory_desc_t) {
        var (plain, chosen) = (plain, chosen)
        self.plain = plain
        self.chosen = chosen
        if dnnl_memory_desc_equal(&plain, &chosen) != 0 {
            buffer = nil
            return
        }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: dnnl_memory_desc_get_size(&chosen), alignment: 64)
        toChosen = LayoutBridge.reorder(from: &plain, to: &chosen)
        toPlain = LayoutBridge.reorder(from: &chosen, to: &plain)
    }

    deinit {
        buffer?.deallocate()
        if toChosen != nil { dnnl_primitive_destroy(toChosen) }
        if toPlain != nil { dnnl_primitive_destroy(toPlain) }
    }

    /// The data of `plain` in the chosen layout (converted into the bridge's buffer if needed).
    func chosenData(from plainData: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard let buffer, let toChosen else { return plainData }
        OneDNN.execute(toChosen, [(DNNL_ARG_FROM, plain, plainData), (DNNL_ARG_TO, chosen, buffer)])
        return buffer
    }

    /// Whether two bridges use the same chosen layout (so one conversion can serve both).
    func sharesLayout(with other: LayoutBridge) -> Bool {
        var (a, b) = (chosen, other.chosen)
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// The converted data of the last `chosenData(from:)` call (the plain data itself when no
    /// conversion is needed).
    func lastConverted(or plainData: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer { buffer ?? plainData }

    /// Where a primitive should write an output that ends in `plainData`.
    func outputData(for plainData: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer { buffer ?? plainData }

    /// Copies an output written to `outputData(for:)` back into `plainData`.
    func finishOutput(into plainData: UnsafeMutableRawPointer) {
        guard let buffer, let toPlain else { return }
        OneDNN.execute(toPlain, [(DNNL_ARG_FROM, chosen, buffer), (DNNL_ARG_TO, plain, plainData)])
    }

    private static func reorder(from source: inout dnnl_memory_desc_t, to destination: inout dnnl_memory_desc_t) -> dnnl_primitive_t? {
        var descriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_reorder_primitive_desc_create(&descriptor, &source, OneDNN.engine, &destination, OneDNN.engine, nil), "reorder")
        var primitive: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "reorder primitive")
        dnnl_primitive_desc_destroy(descriptor)
        return primitive
    }
}
