//! Kubernetes workloads as nsslint's inputs (issue "Kubernetes-aware", first part): manifests and `kubectl`
//! output read into workloads, each container with its image, where its `image:` was written, and the pod
//! context its resolver meets ([`workload`]), from YAML that keeps positions and refuses bombs ([`yaml`]).
//! Not yet wired to `scan --k8s`.

pub mod workload;
pub mod yaml;
