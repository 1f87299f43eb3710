//! Platforms (`os/arch[/variant]`) and the choice among the manifests of a multi-platform index.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform {
                    os: os.to_string(),
                    architecture: arch.to_string(),
                    variant: Some(variant.to_string()),
                })
            }
            _ => Err(format!(
                "{text:?} is not a platform; write os/arch or os/arch/variant, e.g. linux/arm64/v8"
            )),
        }
    }

    /// The platform an image configuration declares.
    pub fn of_config(config: &oci_spec::image::ImageConfiguration) -> Platform {
        Platform {
            os: config.os().to_string(),
            architecture: config.architecture().to_string(),
            variant: config.variant().clone(),
        }
    }

    /// Whether this platform satisfies a request; a request without a variant accepts any variant.
    fn satisfies(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && (wanted.variant.is_none() || self.variant == wanted.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// Which manifests of an index to scan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PlatformChoice {
    /// The only one; else linux/amd64; else an error listing what exists.
    #[default]
    Default,
    Exactly(Platform),
    All,
}

/// Picks among `(platform, item)` candidates; the error lists the platforms that exist.
pub fn choose<T>(
    candidates: Vec<(Platform, T)>,
    choice: &PlatformChoice,
) -> Result<Vec<(Platform, T)>, String> {
    let listing = |c: &[(Platform, T)]| {
        c.iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if candidates.is_empty() {
        return Err("the index lists no image manifests".into());
    }
    match choice {
        PlatformChoice::All => Ok(candidates),
        PlatformChoice::Exactly(wanted) => {
            let available = listing(&candidates);
            let matching: Vec<_> = candidates
                .into_iter()
                .filter(|(p, _)| p.satisfies(wanted))
                .collect();
            match matching.len() {
                0 => Err(format!(
                    "no image for platform {wanted}; the index has: {available}"
                )),
                1 => Ok(matching),
                _ => Err(format!(
                    "several images match {wanted} ({}); name the variant too",
                    listing(&matching)
                )),
            }
        }
        PlatformChoice::Default => {
            if candidates.len() == 1 {
                return Ok(candidates);
            }
            let available = listing(&candidates);
            let amd64 = Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
            };
            let matching: Vec<_> = candidates
                .into_iter()
                .filter(|(p, _)| p.satisfies(&amd64))
                .collect();
            match matching.len() {
                1 => Ok(matching),
                _ => Err(format!(
                    "the index holds several platforms ({available}); choose one with --platform, \
                     or scan each with --all-platforms"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Platform {
        Platform::parse(text).unwrap()
    }

    #[test]
    fn parses_and_prints_platforms() {
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64/v8");
        assert_eq!(p("linux/amd64").variant, None);
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v8").is_err());
    }

    #[test]
    fn default_takes_the_only_one_then_linux_amd64() {
        let one = choose(vec![(p("linux/arm64"), 1)], &PlatformChoice::Default).unwrap();
        assert_eq!(one[0].1, 1);
        let two = choose(
            vec![(p("linux/arm64/v8"), 1), (p("linux/amd64"), 2)],
            &PlatformChoice::Default,
        )
        .unwrap();
        assert_eq!(two.len(), 1);
        assert_eq!(two[0].1, 2);
        let err = choose(
            vec![(p("linux/arm64/v8"), 1), (p("linux/s390x"), 2)],
            &PlatformChoice::Default,
        )
        .unwrap_err();
        assert!(err.contains("linux/arm64/v8, linux/s390x"), "{err}");
    }

    #[test]
    fn exact_choice_matches_variant_only_when_asked() {
        let c = vec![(p("linux/arm/v6"), 1), (p("linux/arm/v7"), 2)];
        let err = choose(c.clone(), &PlatformChoice::Exactly(p("linux/arm"))).unwrap_err();
        assert!(err.contains("name the variant"), "{err}");
        let got = choose(c, &PlatformChoice::Exactly(p("linux/arm/v7"))).unwrap();
        assert_eq!(got[0].1, 2);
    }
}
