"""Reading the cluster's objects: files, directories, stdin, `kubectl get -o json` dumps; workloads to endpoints."""
