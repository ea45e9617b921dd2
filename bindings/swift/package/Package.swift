// swift-tools-version:5.9
// The blindpost Swift package: the module `blindpost` (uniffi's generated Swift) over the C
// module `blindpostFFI` (its header and module map) and the static library
// `lib/libblindpost_ffi.a`. `bindings/run-tests.sh` fills Sources/ and lib/ from one build.
// On Linux the library is linked from lib/; on Apple platforms use the XCFramework that
// `bindings/swift/xcframework.sh` makes instead (bindings/README.md).
import PackageDescription

let package = Package(
    name: "blindpost",
    products: [
        .library(name: "blindpost", targets: ["blindpost"]),
    ],
    targets: [
        .target(
            name: "blindpostFFI",
            path: "Sources/blindpostFFI",
            linkerSettings: [
                .unsafeFlags(["-L\(Context.packageDirectory)/lib"]),
                .linkedLibrary("blindpost_ffi"),
                // What Rust's standard library needs from the C runtime (rustc
                // --print native-static-libs).
                .linkedLibrary("gcc_s"),
                .linkedLibrary("m"),
                .linkedLibrary("dl"),
                .linkedLibrary("pthread"),
            ]
        ),
        .target(name: "blindpost", dependencies: ["blindpostFFI"], path: "Sources/blindpost"),
    ]
)
