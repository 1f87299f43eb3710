//! The workloads of `scan --k8s` as a job: every container's image becomes an input, once per image and
//! platform however many containers run it; when its inputs are scanned, each container gets its own report:
//! the image's analysis made again in the pod's context ([`ImageAnalysis::in_pod`]), checked by the rules,
//! located on the manifest's `image:` line.
//!
//! [`ImageAnalysis::in_pod`]: crate::analyze::ImageAnalysis::in_pod

use super::{Input, Job};
use crate::facts::pod::{ContainerEnvVar, HostAlias, PodFacts};
use crate::k8s::manifests::ManifestFile;
use crate::k8s::workload::{Container, Workload};
use crate::report::{ImageReport, WorkloadRef};
use crate::source::Platform;

/// One container of a workload: where it is, its pod's facts, and the inputs (one per platform the pod
/// may run on) that hold its image.
#[derive(Debug, Clone)]
pub struct Target {
    pub workload: WorkloadRef,
    pub pod: PodFacts,
    /// Positions in the job's input list.
    pub inputs: Vec<usize>,
}

/// Every container of the workloads, and the containers that cannot be scanned, with why.
#[derive(Debug, Default)]
pub struct WorkloadPlan {
    pub targets: Vec<Target>,
    pub errors: Vec<String>,
}

impl WorkloadPlan {
    /// Plans the containers of `workloads`, adding to `inputs` each image (and platform) not yet in it.
    pub fn new(workloads: &[(ManifestFile, Workload)], inputs: &mut Vec<Input>) -> WorkloadPlan {
        let mut plan = WorkloadPlan::default();
        let mut known: std::collections::HashMap<Input, usize> = inputs
            .iter()
            .cloned()
            .enumerate()
            .map(|(n, input)| (input, n))
            .collect();
        for (file, workload) in workloads {
            for container in &workload.containers {
                let place = WorkloadRef {
                    kind: workload.kind.clone(),
                    namespace: workload.namespace.clone(),
                    name: workload.name.clone(),
                    container: container.name.clone(),
                    container_kind: container.kind,
                    file: file.uri.clone(),
                    line: container.image_at.line,
                    column: container.image_at.column,
                    image: container.image.clone(),
                };
                let reference = match image_reference(container) {
                    Ok(reference) => reference,
                    Err(why) => {
                        plan.errors.push(format!(
                            "{}:{}: column {}: {} {}: {why}",
                            file.shown,
                            place.line,
                            place.column,
                            place.label(),
                            container.name
                        ));
                        continue;
                    }
                };
                let platforms: Vec<Option<Platform>> = if workload.pod.architectures.is_empty() {
                    vec![None]
                } else {
                    workload
                        .pod
                        .architectures
                        .iter()
                        .map(|arch| {
                            Some(Platform {
                                os: "linux".into(),
                                architecture: arch.clone(),
                                variant: None,
                            })
                        })
                        .collect()
                };
                let positions = platforms
                    .into_iter()
                    .map(|platform| {
                        let input = Input {
                            reference: reference.clone(),
                            platform,
                        };
                        *known.entry(input.clone()).or_insert_with(|| {
                            inputs.push(input);
                            inputs.len() - 1
                        })
                    })
                    .collect();
                plan.targets.push(Target {
                    workload: place,
                    pod: pod_facts(workload, container),
                    inputs: positions,
                });
            }
        }
        plan
    }

    /// The containers that run `input`, for an error about it: `deploy/api.yaml:20 Deployment/api
    /// container api (and 3 more)`.
    pub fn users(&self, input: usize) -> Option<String> {
        let users: Vec<&Target> = self
            .targets
            .iter()
            .filter(|t| t.inputs.contains(&input))
            .collect();
        let first = users.first()?;
        let more = match users.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        Some(format!("{}{more}", first.workload.describe()))
    }
}

impl Target {
    /// The container's reports, one per platform scanned, once every input it needs is done; images that
    /// could not be read give none (their error was reported as they failed).
    pub fn reports(
        &self,
        results: &[Option<Result<Vec<ImageReport>, String>>],
        job: &Job,
    ) -> Vec<ImageReport> {
        let mut reports = Vec::new();
        for &n in &self.inputs {
            let Some(Ok(image_reports)) = &results[n] else {
                continue;
            };
            for report in image_reports {
                let analysis = report.analysis.in_pod(self.pod.clone());
                reports.push(job.report_for(analysis, Some(self.workload.clone())));
            }
        }
        reports
    }
}

/// What the kubelet pulls for the container, as nsslint names a registry image: the running digest when
/// a live pod's status gives one, else the spec's `image:`, which must be a reference.
fn image_reference(container: &Container) -> Result<String, String> {
    let image = container.scanned_image();
    if image.trim().is_empty() {
        return Err("the container names no image".into());
    }
    crate::source::registry::parse_reference(image).map_err(|e| format!("image {image:?}: {e}"))?;
    Ok(format!("docker://{image}"))
}

fn pod_facts(workload: &Workload, container: &Container) -> PodFacts {
    let pod = &workload.pod;
    PodFacts {
        host_aliases: pod
            .host_aliases
            .iter()
            .map(|a| HostAlias {
                ip: a.ip.clone(),
                hostnames: a.hostnames.clone(),
            })
            .collect(),
        dns_policy: pod
            .dns_policy
            .clone()
            .unwrap_or_else(|| "ClusterFirst".into()),
        dns_options: pod
            .dns_config
            .as_ref()
            .map(|c| c.options.clone())
            .unwrap_or_default(),
        env: container
            .env
            .iter()
            .map(|v| ContainerEnvVar {
                name: v.name.clone(),
                value: v.value.clone(),
            })
            .collect(),
        env_from: container.env_from,
    }
}
