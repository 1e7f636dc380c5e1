import CDNNL
import Foundation

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
        // fatalError, unlike precondition, keeps its message in release builds.
        if status != dnnl_success { fatalError("oneDNN \(what) failed with status \(status.rawValue)") }
    }

    /// A plain row-major memory descriptor (nchw / oihw / x) of float32.
    static func plainDescriptor(_ dims: [Int]) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let tag: dnnl_format_tag_t = dims.count == 4 ? dnnl_abcd : dims.count == 2 ? dnnl_ab : dnnl_a
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "memory descriptor")
        return descriptor
    }

    /// A float32 memory descriptor of these (logical) dims laid out as `tag` says.
    static func descriptor(_ dims: [Int], tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, tag), "memory descriptor")
        return descriptor
    }

    /// A float32 memory descriptor of these dims whose layout oneDNN may choose.
    static func anyDescriptor(_ dims: [Int]) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), dims.map { Int64($0) }, dnnl_f32, dnnl_format_tag_any), "memory descriptor")
        return descriptor
    }

    /// The name of the implementation oneDNN chose for a primitive descriptor (e.g. "jit:avx512_core").
    static func implementation(of descriptor: const_dnnl_primitive_desc_t?) -> String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
        return String(cString: name)
    }

    /// The primitive descriptor for `operation` (a *_desc_t), or nil when oneDNN has none.
    /// oneDNN sizes a kernel's work split (and so its summation order) for the calling thread's
    /// OpenMP pool when the descriptor is made, so the chosen thread count is applied first:
    /// a descriptor made on a thread still at libgomp's default of one per core ran its
    /// reductions in another order even when executed on one thread.
    static func tryPrimitiveDescriptor(_ operation: UnsafeRawPointer, hint: const_dnnl_primitive_desc_t?) -> dnnl_primitive_desc_t? {
        ComputeThreads.applyToCallingThread()
        var descriptor: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&descriptor, operation, attributes, engine, hint) == dnnl_success else { return nil }
        return descriptor
    }

    /// Creates the first primitive descriptor for `operation` (a *_desc_t) whose implementation
    /// `accept` allows, walking oneDNN's list of implementations from fastest to slowest (the
    /// first is the one oneDNN itself would pick); made for the chosen thread count, as above.
    static func primitiveDescriptor(
        _ operation: UnsafeRawPointer, hint: const_dnnl_primitive_desc_t?, _ what: String, accept: (String) -> Bool = { _ in true }
    ) -> dnnl_primitive_desc_t {
        ComputeThreads.applyToCallingThread()
        var iterator: dnnl_primitive_desc_iterator_t?
        check(dnnl_primitive_desc_iterator_create(&iterator, operation, attributes, engine, hint), what)
        defer { dnnl_primitive_desc_iterator_destroy(iterator) }
        while true {
            let candidate = dnnl_primitive_desc_iterator_fetch(iterator)
            if accept(implementation(of: candidate)) { return candidate! }
            dnnl_primitive_desc_destroy(candidate)
            if dnnl_primitive_desc_iterator_next(iterator) != dnnl_success {
                fatalError("oneDNN has no acceptable implementation for \(what)")
            }
        }
    }

    /// Primitive attributes: scratchpad memory supplied by us (`Primitive`), not by oneDNN's
    /// shared library-managed pool, so every primitive's working memory is owned, sized and
    /// freed with it (and parallel test threads never share one).
    nonisolated(unsafe) static let attributes: dnnl_primitive_attr_t = {
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "primitive attributes")
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        return attributes!
    }()
}

/// A oneDNN primitive, created from a primitive descriptor made with `OneDNN.attributes`, that
/// runs with the process's shared scratchpad.
final class Primitive {
    let implementation: String
    private let handle: dnnl_primitive_t
    private let scratchpadDescriptor: dnnl_memory_desc_t
    private let scratchpadSize: Int

    init(_ descriptor: dnnl_primitive_desc_t?, _ what: String) {
        var handle: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&handle, descriptor), what)
        self.handle = handle!
        implementation = "\(what) (\(OneDNN.implementation(of: descriptor)))"
        var scratchpadDescriptor = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).pointee
        self.scratchpadDescriptor = scratchpadDescriptor
        scratchpadSize = dnnl_memory_desc_get_size(&scratchpadDescriptor)
    }

    deinit { dnnl_primitive_destroy(handle) }

    /// Runs the primitive on (argument, descriptor, pointer) triples and waits for it.
    func execute(_ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer)]) {
        ComputeThreads.applyToCallingThread()
        Scratchpad.shared.use(size: scratchpadSize, by: implementation) { scratchpad in
            var arguments = arguments
            if let scratchpad { arguments.append((DNNL_ARG_SCRATCHPAD, scratchpadDescriptor, scratchpad)) }
            var memories: [dnnl_memory_t?] = []
            var execArguments: [dnnl_exec_arg_t] = []
            for (argument, descriptor, pointer) in arguments {
                var descriptor = descriptor
                var memory: dnnl_memory_t?
                OneDNN.check(dnnl_memory_create(&memory, &descriptor, OneDNN.engine, pointer), "memory")
                memories.append(memory)
                execArguments.append(dnnl_exec_arg_t(arg: argument, memory: memory))
            }
            OneDNN.check(dnnl_primitive_execute(handle, OneDNN.stream, Int32(execArguments.count), execArguments), "execute")
            OneDNN.check(dnnl_stream_wait(OneDNN.stream), "stream wait")
            for memory in memories { dnnl_memory_destroy(memory) }
        }
    }
}

/// The working memory of every primitive: one buffer as large as the largest scratchpad asked
/// for, reused by all (Winograd primitives each ask for tens of MB; a buffer per primitive
/// tripled the peak memory of ResNet training). Primitives run one at a time under its lock
/// (parallel tests share it; a training process runs them one after another anyway).
///
/// Past the bytes a primitive asked for lies a guard zone that is checked after it runs:
/// oneDNN 2.6's jit_1x1 backward-weights kernel for strided channels-last convolutions writes up
/// to ~2.3 KB past its scratchpad (found this way; ConvolutionKernels avoids that kernel). A
/// kernel that oversteps is reported by name instead of corrupting memory silently.
final class Scratchpad: @unchecked Sendable {
    static let shared = Scratchpad()
    private static let guardSize = 16 << 10
    private static let guardByte: UInt8 = 0xA5
    private let lock = NSLock()
    private var buffer: UnsafeMutableRawPointer?
    private var capacity = 0

    func use(size: Int, by implementation: String, _ body: (UnsafeMutableRawPointer?) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard size > 0 else { return body(nil) }
        if capacity < size + Scratchpad.guardSize {
            buffer?.deallocate()
            capacity = size + Scratchpad.guardSize
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        let guardZone = UnsafeMutableRawBufferPointer(start: buffer! + size, count: Scratchpad.guardSize)
        guardZone.initializeMemory(as: UInt8.self, repeating: Scratchpad.guardByte)
        body(buffer)
        if guardZone.contains(where: { $0 != Scratchpad.guardByte }) {
            fatalError("oneDNN \(implementation) wrote past the \(size)-byte scratchpad it asked for (a oneDNN bug)")
        }
    }
}

/// Converts a tensor between the plain layout the rest of the code uses and the layout a oneDNN
/// primitive chose (blocked layouts run convolutions 2-3x faster than plain NCHW here). When
/// the two are equal it does nothing and hands out the caller's pointer.
final class LayoutBridge {
    let plain: dnnl_memory_desc_t
    let chosen: dnnl_memory_desc_t
    private var toChosen: Primitive?
    private var toPlain: Primitive?
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
    }

    /// The data of `plain` in the chosen layout (converted into the bridge's buffer if needed).
    func chosenData(from plainData: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        guard let buffer, let toChosen else { return plainData }
        toChosen.execute([(DNNL_ARG_FROM, plain, plainData), (DNNL_ARG_TO, chosen, buffer)])
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
        toPlain.execute([(DNNL_ARG_FROM, chosen, buffer), (DNNL_ARG_TO, plain, plainData)])
    }

    private static func reorder(from source: inout dnnl_memory_desc_t, to destination: inout dnnl_memory_desc_t) -> Primitive {
        ComputeThreads.applyToCallingThread()
        var descriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_reorder_primitive_desc_create(
            &descriptor, &source, OneDNN.engine, &destination, OneDNN.engine, OneDNN.attributes), "reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        return Primitive(descriptor, "reorder primitive")
    }
}
