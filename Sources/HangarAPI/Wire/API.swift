/// The types the REST API sends and takes, shared by the server, the CLI and (next) remote
/// workers, kept apart from how the store keeps them. Each says its JSON schema, from which the
/// OpenAPI document is made.
public enum API {}
