//! Kubernetes workloads as nsslint's inputs (`scan --k8s`): the manifest files, directories and standard
//! input to read ([`manifests`]), the workloads they hold, each container with its image, where its
//! `image:` was written and the pod context its resolver meets ([`workload`]), from YAML that keeps
//! positions and refuses bombs ([`yaml`]). Turning them into a job's inputs is [`crate::job::workloads`]'s.

pub mod manifests;
pub mod workload;
pub mod yaml;
