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
