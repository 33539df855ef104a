// sevhost-fuzz: the fuzz targets of every parser that takes outside bytes (see ROBUSTNESS.md).
//
// Built two ways. Normally it is a small program that replays inputs through a target
// (`sevhost-fuzz TARGET FILE|DIR...`), which is how the tests run the committed seeds and
// crash reproducers. Built by `scripts/fuzz` with `-sanitize=fuzzer -parse-as-library
// -DSEVHOST_LIBFUZZER`, it has no main of its own: libFuzzer's drives `LLVMFuzzerTestOneInput`
// with the target named by `SEVHOST_FUZZ_TARGET`.

#if SEVHOST_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
Replay.main()
#endif
