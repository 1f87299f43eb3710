//! Workloads read from Kubernetes documents: for each Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! Job and CronJob (and each item of a `List`, which is what `kubectl get -o json|yaml` prints), its pod
//! template's containers (init and ephemeral ones too) with the image each runs and where that `image:` was
//! written, and the pod context the resolver meets: `hostAliases`, `dnsPolicy`, `dnsConfig`, each
//! container's `env`, and the architecture `nodeSelector` or node affinity asks for. A live Pod's
//! `status.containerStatuses[].imageID` names the image by digest, which is preferred to the spec's tag.
//! Documents of other kinds are counted as skipped, never an error.

use super::yaml::{Node, Position};
use serde::Serialize;

/// Where a workload came from: the file (as given) and the document's place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    /// 0-based document index in the file.
    pub document: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub origin: Origin,
    pub containers: Vec<Container>,
    pub pod: PodContext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    pub name: String,
    pub kind: ContainerKind,
    /// The image as the spec writes it.
    pub image: String,
    /// Where the spec's `image:` value is.
    pub image_at: Position,
    /// The running image by digest (a live pod's status), when known: what is scanned.
    pub image_id: Option<String>,
    pub env: Vec<EnvVar>,
    /// The container has `envFrom` (a ConfigMap or Secret whose variables a manifest does not show).
    pub env_from: bool,
}

impl Container {
    /// The reference to scan: the running image's digest when the status names one, else the spec's.
    pub fn scanned_image(&self) -> &str {
        self.image_id.as_deref().unwrap_or(&self.image)
    }
}

/// One `env` entry: its value, or unknown (`valueFrom`: a ConfigMap, a Secret, a field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
    pub at: Position,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DnsConfig {
    pub nameservers: Vec<String>,
    pub searches: Vec<String>,
    /// `name` or `name:value`, as resolv.conf's options line writes them.
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PodContext {
    pub host_aliases: Vec<HostAlias>,
    pub dns_policy: Option<String>,
    pub dns_config: Option<DnsConfig>,
    /// The architectures the pod may be scheduled on (`kubernetes.io/arch`); empty: any.
    pub architectures: Vec<String>,
}

/// What one stream of documents held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    pub workloads: Vec<Workload>,
    /// Documents (or `List` items) of kinds without a pod template, by kind.
    pub skipped: Vec<(String, Position)>,
}

/// The workloads of the documents of one file.
pub fn read(file: &str, documents: &[Node]) -> Read {
    let mut out = Read::default();
    for (index, document) in documents.iter().enumerate() {
        let origin = Origin {
            file: file.to_string(),
            document: index,
        };
        collect(document, &origin, &mut out);
    }
    out
}

fn collect(document: &Node, origin: &Origin, out: &mut Read) {
    let kind = document.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind == "List" || kind.ends_with("List") && document.get("items").is_some() {
        for item in document.get("items").map(Node::items).unwrap_or_default() {
            collect(item, origin, out);
        }
        return;
    }
    let template_spec = match kind {
        "Pod" => document.get("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => document.path(&["spec", "template", "spec"]),
        "CronJob" => document.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    };
    let Some(spec) = template_spec else {
        if document.get("kind").is_some() || !document.entries().is_empty() {
            let shown = if kind.is_empty() { "(no kind)" } else { kind };
            out.skipped.push((shown.to_string(), document.at));
        }
        return;
    };
    let metadata = document.get("metadata");
    let text = |keys: &[&str]| {
        metadata
            .and_then(|m| m.path(keys))
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let statuses = if kind == "Pod" {
        image_ids(document)
    } else {
        Vec::new()
    };
    let mut containers = Vec::new();
    for (key, container_kind) in [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ] {
        for item in spec.get(key).map(Node::items).unwrap_or_default() {
            let Some(image) = item.get("image") else {
                continue;
            };
            let name = item
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            containers.push(Container {
                image_id: statuses
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, id)| id.clone()),
                name,
                kind: container_kind,
                image: image.as_str().unwrap_or("").to_string(),
                image_at: image.at,
                env: env(item),
                env_from: !item
                    .get("envFrom")
                    .map(Node::items)
                    .unwrap_or_default()
                    .is_empty(),
            });
        }
    }
    out.workloads.push(Workload {
        kind: kind.to_string(),
        namespace: text(&["namespace"]),
        name: text(&["name"])
            .or_else(|| text(&["generateName"]))
            .unwrap_or_default(),
        origin: origin.clone(),
        containers,
        pod: pod_context(spec),
    });
}

/// `(container name, repo@sha256:…)` from a live pod's container statuses (every kind of them).
fn image_ids(pod: &Node) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for key in [
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
    ] {
        for status in pod
            .path(&["status", key])
            .map(Node::items)
            .unwrap_or_default()
        {
            let name = status.get("name").and_then(Node::as_str);
            let id = status
                .get("imageID")
                .and_then(Node::as_str)
                .and_then(digest_reference);
            if let (Some(name), Some(id)) = (name, id) {
                ids.push((name.to_string(), id));
            }
        }
    }
    ids
}

/// `docker-pullable://repo@sha256:…` (Docker), `repo@sha256:…` (containerd, CRI-O) as `repo@sha256:…`; an
/// ID that names no repository (`sha256:…` alone) cannot be pulled and is not used.
fn digest_reference(image_id: &str) -> Option<String> {
    let id = image_id
        .strip_prefix("docker-pullable://")
        .or_else(|| image_id.strip_prefix("docker://"))
        .unwrap_or(image_id);
    let (repository, digest) = id.split_once('@')?;
    (!repository.is_empty() && crate::source::parse_sha256(digest).is_some())
        .then(|| id.to_string())
}

fn env(container: &Node) -> Vec<EnvVar> {
    container
        .get("env")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            let name = entry.get("name").and_then(Node::as_str)?.to_string();
            let value = match entry.get("valueFrom") {
                Some(_) => None,
                // `value` absent or empty is the empty string, as the kubelet sets it.
                None => Some(
                    entry
                        .get("value")
                        .and_then(Node::as_str)
                        .unwrap_or("")
                        .to_string(),
                ),
            };
            Some(EnvVar { name, value })
        })
        .collect()
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

fn pod_context(spec: &Node) -> PodContext {
    let host_aliases = spec
        .get("hostAliases")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|alias| HostAlias {
            ip: alias
                .get("ip")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string(),
            hostnames: strings(alias.get("hostnames")),
            at: alias.at,
        })
        .collect();
    let dns_config = spec.get("dnsConfig").map(|config| DnsConfig {
        nameservers: strings(config.get("nameservers")),
        searches: strings(config.get("searches")),
        options: config
            .get("options")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|option| {
                let name = option.get("name").and_then(Node::as_str)?;
                Some(match option.get("value").and_then(Node::as_str) {
                    Some(value) => format!("{name}:{value}"),
                    None => name.to_string(),
                })
            })
            .collect(),
    });
    PodContext {
        host_aliases,
        dns_policy: spec
            .get("dnsPolicy")
            .and_then(Node::as_str)
            .map(str::to_string),
        dns_config,
        architectures: architectures(spec),
    }
}

const ARCH_LABEL: &str = "kubernetes.io/arch";

/// The architectures `nodeSelector` or required node affinity (`In`) allow; empty when either allows any.
fn architectures(spec: &Node) -> Vec<String> {
    if let Some(arch) = spec
        .path(&["nodeSelector", ARCH_LABEL])
        .and_then(Node::as_str)
    {
        return vec![arch.to_string()];
    }
    let terms = spec
        .path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .map(Node::items)
        .unwrap_or_default();
    let mut allowed = Vec::new();
    for term in terms {
        // Terms are ORed: a term without an arch expression allows any architecture.
        let mut term_allows = None;
        for expression in term
            .get("matchExpressions")
            .map(Node::items)
            .unwrap_or_default()
        {
            let key = expression.get("key").and_then(Node::as_str);
            let operator = expression.get("operator").and_then(Node::as_str);
            if key == Some(ARCH_LABEL) && operator == Some("In") {
                term_allows = Some(strings(expression.get("values")));
            }
        }
        match term_allows {
            Some(values) => {
                for value in values {
                    if !allowed.contains(&value) {
                        allowed.push(value);
                    }
                }
            }
            None => return Vec::new(),
        }
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::yaml::{documents, Limits};

    fn read_text(text: &str) -> Read {
        read(
            "deploy/api.yaml",
            &documents(text, Limits::default()).unwrap(),
        )
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/arch: arm64
      hostAliases:
        - ip: 10.0.0.7
          hostnames: [apiserver.other.cluster, other-api]
      dnsPolicy: None
      dnsConfig:
        nameservers: [10.96.0.10]
        searches: [prod.svc.cluster.local]
        options:
          - name: single-request-reopen
          - name: ndots
            value: \"2\"
      initContainers:
        - name: migrate
          image: team/migrate:3
      containers:
        - name: api
          image: registry.example.com/team/api:1.4
          env:
            - name: GODEBUG
              value: netdns=go
            - name: TOKEN
              valueFrom: {secretKeyRef: {name: s, key: k}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
";

    #[test]
    fn a_deployment_gives_its_containers_images_lines_and_pod_context() {
        let read = read_text(DEPLOYMENT);
        assert_eq!(
            read.skipped,
            [(
                "Service".to_string(),
                Position {
                    line: 34,
                    column: 1
                }
            )]
        );
        let [workload] = read.workloads.as_slice() else {
            panic!("{read:?}")
        };
        assert_eq!(
            (
                workload.kind.as_str(),
                workload.namespace.as_deref(),
                workload.name.as_str()
            ),
            ("Deployment", Some("prod"), "api")
        );
        let images: Vec<(&str, ContainerKind, &str, Position)> = workload
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.kind, c.image.as_str(), c.image_at))
            .collect();
        assert_eq!(
            images,
            [
                (
                    "migrate",
                    ContainerKind::Init,
                    "team/migrate:3",
                    Position {
                        line: 24,
                        column: 18
                    }
                ),
                (
                    "api",
                    ContainerKind::Regular,
                    "registry.example.com/team/api:1.4",
                    Position {
                        line: 27,
                        column: 18
                    }
                ),
            ]
        );
        assert_eq!(
            workload.containers[1].env,
            [
                EnvVar {
                    name: "GODEBUG".into(),
                    value: Some("netdns=go".into())
                },
                EnvVar {
                    name: "TOKEN".into(),
                    value: None
                },
            ]
        );
        let pod = &workload.pod;
        assert_eq!(
            pod.host_aliases[0].hostnames,
            ["apiserver.other.cluster", "other-api"]
        );
        assert_eq!(pod.host_aliases[0].ip, "10.0.0.7");
        assert_eq!(pod.dns_policy.as_deref(), Some("None"));
        assert_eq!(
            pod.dns_config,
            Some(DnsConfig {
                nameservers: vec!["10.96.0.10".into()],
                searches: vec!["prod.svc.cluster.local".into()],
                options: vec!["single-request-reopen".into(), "ndots:2".into()],
            })
        );
        assert_eq!(pod.architectures, ["arm64"]);
    }

    #[test]
    fn a_live_pod_list_prefers_the_running_digest_and_cronjobs_have_a_template() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let json = format!(
            r#"{{"apiVersion": "v1", "kind": "List", "items": [
  {{"kind": "Pod", "metadata": {{"name": "api-7d9", "namespace": "prod"}},
   "spec": {{"containers": [{{"name": "api", "image": "team/api:1.4"}}, {{"name": "side", "image": "team/side:2"}}],
            "affinity": {{"nodeAffinity": {{"requiredDuringSchedulingIgnoredDuringExecution": {{"nodeSelectorTerms": [
              {{"matchExpressions": [{{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}}]}}]}}}}}}}},
   "status": {{"containerStatuses": [
     {{"name": "api", "imageID": "docker-pullable://team/api@{digest}"}},
     {{"name": "side", "imageID": "{digest}"}}]}}}},
  {{"kind": "CronJob", "metadata": {{"name": "nightly"}},
   "spec": {{"jobTemplate": {{"spec": {{"template": {{"spec": {{"containers": [{{"name": "job", "image": "team/job:1"}}]}}}}}}}}}}}},
  {{"kind": "ConfigMap", "metadata": {{"name": "x"}}}}
]}}"#
        );
        let read = read_text(&json);
        assert_eq!(read.workloads.len(), 2);
        let pod = &read.workloads[0];
        assert_eq!(
            pod.containers[0].scanned_image(),
            format!("team/api@{digest}")
        );
        assert_eq!(
            pod.containers[1].scanned_image(),
            "team/side:2",
            "a bare digest names no repository"
        );
        assert_eq!(pod.pod.architectures, ["amd64", "arm64"]);
        assert_eq!(read.workloads[1].kind, "CronJob");
        assert_eq!(read.workloads[1].containers[0].image, "team/job:1");
        assert_eq!(read.skipped.len(), 1);
        assert_eq!(read.skipped[0].0, "ConfigMap");
    }
}
