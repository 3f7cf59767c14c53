// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "hangar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hangar", targets: ["hangar"]),
        .executable(name: "hangar-bench", targets: ["HangarBenchmark"]),
        .executable(name: "hangar-bench-server", targets: ["ServerBenchmark"]),
        .executable(name: "hangar-bench-cluster", targets: ["ClusterBenchmark"]),
        .executable(name: "hangar-bench-triage", targets: ["TriageBenchmark"]),
        .executable(name: "hangar-bench-bus", targets: ["BusBenchmark"]),
        .executable(name: "hangar-bench-matrix", targets: ["MatrixBenchmark"]),
        .executable(name: "hangar-bench-gate", targets: ["GateBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .executableTarget(
            name: "hangar",
            dependencies: [
                "HangarAMQP",
                "HangarAPI",
                "HangarWorker",
                "HangarEngine",
                "HangarHandlers",
                "HangarServer",
                "HangarStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BenchmarkSupport",
            dependencies: ["HangarCore", "HangarMachine"],
            path: "Benchmarks/BenchmarkSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HangarBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarMachine"],
            path: "Benchmarks/HangarBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "MatrixBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarCore", "HangarMachine"],
            path: "Benchmarks/MatrixBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "GateBenchmark",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarCore"],
            path: "Benchmarks/GateBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TriageBenchmark",
            dependencies: ["BenchmarkSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarCore", "HangarMachine"],
            path: "Benchmarks/TriageBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BusBenchmark",
            dependencies: [
                "BenchmarkSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarAMQP", "HangarCore", "HangarMachine",
                "HangarTestSupport", .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/BusBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ClusterBenchmark",
            dependencies: [
                "BenchmarkSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"), "HangarCore", "HangarMachine",
                "HangarTestSupport",
            ],
            path: "Benchmarks/ClusterBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ServerBenchmark",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "HangarAPI",
                "HangarMachine",
                "HangarTestSupport",
                "HangarServer",
                "HangarStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/ServerBenchmark",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarWorker",
            dependencies: [
                "HangarAPI",
                "HangarCore",
                "HangarEngine",
                "HangarMachine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarAMQP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarAPI",
            dependencies: ["HangarCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarEngine",
            dependencies: ["HangarCore", "HangarHandlers", "HangarMachine"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarServer",
            dependencies: [
                "HangarAMQP",
                "HangarAPI",
                "HangarWorker",
                "HangarCore",
                "HangarEngine",
                "HangarHandlers",
                "HangarMachine",
                "HangarStore",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarStore",
            dependencies: [
                "HangarCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarHandlers",
            dependencies: ["HangarCore", "HangarMachine"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarMachine",
            dependencies: [
                "HangarCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HangarTestSupport",
            dependencies: ["HangarCore", "HangarMachine", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/HangarTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarAMQPTests",
            dependencies: ["HangarAMQP", "HangarTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarHandlersTests",
            dependencies: ["HangarCore", "HangarHandlers", "HangarMachine", "HangarTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarAPITests",
            dependencies: ["HangarAPI", "HangarCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarWorkerTests",
            dependencies: ["HangarCore", "HangarWorker"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarCoreTests",
            dependencies: ["HangarCore", "HangarTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarEngineTests",
            dependencies: ["HangarCore", "HangarEngine", "HangarHandlers", "HangarMachine", "HangarTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarMachineTests",
            dependencies: ["HangarCore", "HangarMachine", "HangarTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarServerTests",
            dependencies: [
                "HangarAPI",
                "HangarCore",
                "HangarMachine",
                "HangarServer",
                "HangarStore",
                "HangarTestSupport",
                "HangarWorker",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarStoreTests",
            dependencies: ["HangarCore", "HangarMachine", "HangarStore", "HangarTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HangarIntegrationTests",
            dependencies: [
                "HangarAMQP", "HangarCore", "HangarMachine", "HangarTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["../Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
