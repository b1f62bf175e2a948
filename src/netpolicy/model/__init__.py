"""Plain, immutable domain objects: the cluster (endpoints, namespaces, services) and the policy IR."""
