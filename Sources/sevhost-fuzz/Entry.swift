// sevhost-fuzz: the fuzz targets of every parser that takes outside bytes (see ROBUSTNESS.md).
//
// Built two ways. Normally it is a small program that replays inputs through a target
// (`sevhost-fuzz TARGET FILE|DIR...`), which is how the tests run the committed seeds and
// crash reproducers. Built by `scripts/fuzz` with `-sanitize=fuzzer -DSEVHOST_LIBFUZZER`, its
// main hands the command line to libFuzzer's driver, which feeds the target named by
// `SEVHOST_FUZZ_TARGET`.
#if canImport(Glibc)
import Glibc
#endif

@main
enum Entry {
    static func main() {
        #if SEVHOST_LIBFUZZER
        exit(LibFuzzer.run())
        #else
        Replay.main()
        #endif
    }
}

#if SEVHOST_LIBFUZZER
/// libFuzzer's entry for programs that have a main of their own (it has been since LLVM 11).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

enum LibFuzzer {
    static func run() -> Int32 {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        return runDriver(&argc, &argv) { data, size in
            FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    }
}
#endif
