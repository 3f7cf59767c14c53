/// This Hangar's version, as `hangar --version` prints it and workers report it.
public enum HangarVersion {
    public static let current = "0.6.0"
}
