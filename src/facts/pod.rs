//! Facts about the pod a container of an image runs in (`scan --k8s`): what the kubelet adds to the
//! container's `/etc/hosts` (`hostAliases`) and `/etc/resolv.conf` (`dnsPolicy`, `dnsConfig`), and the
//! container's own environment, which the runtime lays over the image config's `Env`. Plain data:
//! [`crate::k8s`] fills it from a manifest; the models and rules read it.

use super::image::ResolverEnv;
use serde::Serialize;

/// One `hostAliases` entry: the kubelet writes `IP NAME...` into the container's `/etc/hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
}

/// One variable of the container's `env`: its value, or `None` when it comes from `valueFrom` (a
/// ConfigMap, a Secret, a field of the pod), which a manifest does not tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerEnvVar {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PodFacts {
    pub host_aliases: Vec<HostAlias>,
    /// `ClusterFirst` when the spec says nothing, as the API server defaults it.
    pub dns_policy: String,
    /// `dnsConfig.options`, `name` or `name:value` as resolv.conf's `options` line writes them.
    pub dns_options: Vec<String>,
    /// The container's `env`, in order.
    pub env: Vec<ContainerEnvVar>,
    /// The container has `envFrom`: a ConfigMap or Secret may set any variable.
    pub env_from: bool,
}

impl PodFacts {
    /// Every name the pod's `hostAliases` put in `/etc/hosts`, in order.
    pub fn alias_names(&self) -> Vec<&str> {
        self.host_aliases
            .iter()
            .flat_map(|a| a.hostnames.iter().map(String::as_str))
            .collect()
    }

    /// The environment the container's processes see: the image's, with the container's `env` laid over
    /// it (the last entry of a name wins). A resolver variable whose value the manifest does not give
    /// (`valueFrom`, or possibly from `envFrom`) keeps the image's value, and `unknown` says so.
    pub fn environment(&self, image: &ResolverEnv) -> ResolverEnv {
        let mut env = image.clone();
        let mut unknown: Vec<String> = Vec::new();
        for var in &self.env {
            let slot = match var.name.as_str() {
                "GODEBUG" => &mut env.godebug,
                "LOCALDOMAIN" => &mut env.localdomain,
                "RES_OPTIONS" => &mut env.res_options,
                "HOSTALIASES" => &mut env.hostaliases,
                _ => continue,
            };
            unknown.retain(|n| n != &var.name);
            match &var.value {
                Some(value) => *slot = Some(value.clone()),
                None => unknown.push(var.name.clone()),
            }
        }
        let mut reasons = Vec::new();
        if !unknown.is_empty() {
            reasons.push(format!(
                "the container sets {} from valueFrom (a ConfigMap, a Secret or a field), whose value a \
                 manifest does not tell; predictions assume the image's value",
                unknown.join(", ")
            ));
        }
        if self.env_from {
            let given: Vec<&str> = self
                .env
                .iter()
                .filter(|v| v.value.is_some())
                .map(|v| v.name.as_str())
                .collect();
            let open: Vec<&str> = ["GODEBUG", "LOCALDOMAIN", "RES_OPTIONS", "HOSTALIASES"]
                .into_iter()
                .filter(|name| !given.contains(name) && !unknown.iter().any(|u| u == name))
                .collect();
            if !open.is_empty() {
                reasons.push(format!(
                    "the container has envFrom, which may set {}; predictions assume it does not",
                    open.join(", ")
                ));
            }
        }
        if let Some(image_unknown) = &image.unknown {
            reasons.insert(0, image_unknown.clone());
        }
        env.unknown = (!reasons.is_empty()).then(|| reasons.join("; "));
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(name: &str, value: Option<&str>) -> ContainerEnvVar {
        ContainerEnvVar {
            name: name.into(),
            value: value.map(str::to_string),
        }
    }

    #[test]
    fn the_container_env_lays_over_the_image_env_and_unknowns_are_said() {
        let image = ResolverEnv::from_env(&["GODEBUG=netdns=cgo".into(), "LOCALDOMAIN=a".into()]);
        let pod = PodFacts {
            env: vec![
                var("GODEBUG", Some("netdns=go")),
                var("RES_OPTIONS", None),
                var("PATH", Some("/bin")),
            ],
            ..PodFacts::default()
        };
        let env = pod.environment(&image);
        assert_eq!(env.godebug.as_deref(), Some("netdns=go"));
        assert_eq!(env.localdomain.as_deref(), Some("a"));
        assert_eq!(env.res_options, None);
        assert_eq!(
            env.unknown.as_deref(),
            Some(
                "the container sets RES_OPTIONS from valueFrom (a ConfigMap, a Secret or a field), whose \
                 value a manifest does not tell; predictions assume the image's value"
            )
        );
        // The last entry of a name wins, as in the process environment the kubelet builds.
        let later = PodFacts {
            env: vec![var("GODEBUG", None), var("GODEBUG", Some(""))],
            env_from: true,
            ..PodFacts::default()
        };
        let env = later.environment(&image);
        assert_eq!(env.godebug.as_deref(), Some(""));
        assert_eq!(
            env.unknown.as_deref(),
            Some(
                "the container has envFrom, which may set LOCALDOMAIN, RES_OPTIONS, HOSTALIASES; \
                 predictions assume it does not"
            )
        );
    }
}
