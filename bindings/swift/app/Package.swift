// swift-tools-version:5.9
// A fresh app package that uses blindpost through its package alone: the README's example as an
// executable, and the binding tests (a whole conversation, vectors, hostile input, a foreign
// store) as an XCTest target. `bindings/run-tests.sh` copies it next to the built package and
// runs `swift build`, `swift run readme-example` and `swift test`.
import PackageDescription

let package = Package(
    name: "blindpost-app",
    dependencies: [
        .package(path: "../blindpost"),
    ],
    targets: [
        .executableTarget(
            name: "readme-example",
            dependencies: [.product(name: "blindpost", package: "blindpost")],
            path: "Sources/readme-example"
        ),
        .testTarget(
            name: "blindpostTests",
            dependencies: [.product(name: "blindpost", package: "blindpost")],
            path: "Tests/blindpostTests"
        ),
    ]
)
