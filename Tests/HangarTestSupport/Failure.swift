public import HangarCore

/// The `HangarError` `body` threw; nil when it threw nothing or something else.
public func failure(_ body: () async throws -> Void) async -> HangarError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? HangarError
    }
}
