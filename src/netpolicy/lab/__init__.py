"""The real dataplane: network namespaces, veths, Calico-style routes and nftables compiled from the IR."""
