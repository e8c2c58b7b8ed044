//! Writing `status.loadBalancer.ingress` on the Ingresses we serve, as ingress-nginx's
//! `--publish-service` / `--publish-status-address` do.
//!
//! * **What is written**: the configured addresses ([`Publish::Addresses`]), or those of a
//!   publish Service ([`Publish::Service`]: its `status.loadBalancer.ingress`, then its
//!   `spec.externalIPs`; an `ExternalName` Service publishes its DNS name), sorted, so that
//!   equal sets compare equal.
//! * **Only when it differs**: an Ingress already showing exactly our addresses gets no
//!   write, so a steady state costs no API calls ([`plan`] decides, without I/O).
//! * **Only ours, and carefully when it stops being ours**: an Ingress we do not serve is
//!   cleared only if every address it shows is one of ours (another controller's status is
//!   left alone).
//! * **Only while leading**: the caller runs [`StatusWriter::sync`] only while a
//!   [`LeaderElector`](crate::lease::LeaderElector) says this replica holds the Lease.
//!
//! Writes go to the `status` subresource as JSON merge patches, which touch nothing but
//! `status.loadBalancer`.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerIngress};
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

/// Which addresses to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Publish {
    /// These IPs and hostnames (a string that parses as an IP is an `ip`, else a `hostname`).
    Addresses(Vec<String>),
    /// The addresses of this Service (`namespace`, `name`), read at every sync.
    Service {
        /// The Service's namespace.
        namespace: String,
        /// The Service's name.
        name: String,
    },
}

/// What one [`StatusWriter::sync`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Ingresses whose status was set to our addresses (`namespace/name`).
    pub updated: Vec<String>,
    /// Ingresses no longer ours whose status (ours) was cleared.
    pub cleared: Vec<String>,
    /// Ingresses whose write failed, with the error; the next sync tries again.
    pub failed: Vec<(String, String)>,
}

/// The write [`plan`] asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Set `status.loadBalancer.ingress` to our addresses.
    Set(Vec<IngressLoadBalancerIngress>),
    /// Remove `status.loadBalancer.ingress`.
    Clear,
}

fn address_entry(address: &str) -> IngressLoadBalancerIngress {
    let is_ip = address.parse::<std::net::IpAddr>().is_ok();
    IngressLoadBalancerIngress {
        ip: is_ip.then(|| address.to_owned()),
        hostname: (!is_ip).then(|| address.to_owned()),
        ..IngressLoadBalancerIngress::default()
    }
}

fn sort_key(entry: &IngressLoadBalancerIngress) -> (Option<&str>, Option<&str>) {
    (entry.ip.as_deref(), entry.hostname.as_deref())
}

/// Our addresses as status entries, sorted and without duplicates.
pub fn entries<'a>(
    addresses: impl IntoIterator<Item = &'a str>,
) -> Vec<IngressLoadBalancerIngress> {
    let mut out: Vec<IngressLoadBalancerIngress> = addresses
        .into_iter()
        .filter(|a| !a.is_empty())
        .map(address_entry)
        .collect();
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out.dedup();
    out
}

/// The addresses a publish Service shows: its load balancer's, then its external IPs; an
/// `ExternalName` Service its DNS name.
pub fn service_addresses(service: &Service) -> Vec<IngressLoadBalancerIngress> {
    let spec = service.spec.as_ref();
    if spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName") {
        return entries(spec.and_then(|s| s.external_name.as_deref()));
    }
    let balancer = service
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|i| i.ip.as_deref().or(i.hostname.as_deref()));
    let external = spec
        .and_then(|s| s.external_ips.as_ref())
        .into_iter()
        .flatten()
        .map(String::as_str);
    entries(balancer.chain(external))
}

/// What the Ingress shows now, sorted, ports and errors ignored (we publish neither).
fn shown(ingress: &Ingress) -> Vec<IngressLoadBalancerIngress> {
    let mut out: Vec<IngressLoadBalancerIngress> = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .map(|i| IngressLoadBalancerIngress {
            ip: i.ip.clone().filter(|s| !s.is_empty()),
            hostname: i.hostname.clone().filter(|s| !s.is_empty()),
            ..IngressLoadBalancerIngress::default()
        })
        .collect();
    out.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    out.dedup();
    out
}

/// The write an Ingress needs, if any: ours and showing something else -> set; not ours and
/// showing only our addresses -> clear; otherwise nothing. `ours` must be sorted, as
/// [`entries`] and [`service_addresses`] give it.
pub fn plan(ingress: &Ingress, serves: bool, ours: &[IngressLoadBalancerIngress]) -> Option<Write> {
    let shown = shown(ingress);
    if serves {
        return (shown != ours).then(|| Write::Set(ours.to_vec()));
    }
    let only_ours = !shown.is_empty() && shown.iter().all(|s| ours.contains(s));
    only_ours.then_some(Write::Clear)
}

/// Writes Ingress status through one client.
#[derive(Clone)]
pub struct StatusWriter {
    client: kube::Client,
    publish: Publish,
}

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter")
            .field("publish", &self.publish)
            .finish_non_exhaustive()
    }
}

impl StatusWriter {
    /// A writer publishing `publish`.
    pub fn new(client: kube::Client, publish: Publish) -> Self {
        StatusWriter { client, publish }
    }

    /// Our addresses now (reads the publish Service, if that is the source).
    pub async fn addresses(&self) -> Result<Vec<IngressLoadBalancerIngress>, kube::Error> {
        match &self.publish {
            Publish::Addresses(list) => Ok(entries(list.iter().map(String::as_str))),
            Publish::Service { namespace, name } => {
                let api: Api<Service> = Api::namespaced(self.client.clone(), namespace);
                Ok(api
                    .get_opt(name)
                    .await?
                    .map(|s| service_addresses(&s))
                    .unwrap_or_default())
            }
        }
    }

    /// Brings the status of `ingresses` in line: ours (`serves`) get our addresses, others
    /// lose them if they show only ours. Each write is independent: one failure is reported
    /// in the [`SyncReport`] and does not stop the others.
    ///
    /// # Errors
    ///
    /// Only when the publish Service cannot be read (then nothing is written: an empty
    /// address list would wrongly clear every status).
    pub async fn sync<'a>(
        &self,
        ingresses: impl IntoIterator<Item = &'a Ingress>,
        serves: impl Fn(&Ingress) -> bool,
    ) -> Result<SyncReport, kube::Error> {
        let ours = self.addresses().await?;
        let mut report = SyncReport::default();
        for ingress in ingresses {
            let Some(write) = plan(ingress, serves(ingress), &ours) else {
                continue;
            };
            let (Some(namespace), Some(name)) = (
                ingress.metadata.namespace.as_deref(),
                ingress.metadata.name.as_deref(),
            ) else {
                continue;
            };
            let key = format!("{namespace}/{name}");
            let status = match &write {
                Write::Set(list) => json!({"status": {"loadBalancer": {"ingress": list}}}),
                Write::Clear => json!({"status": {"loadBalancer": {"ingress": null}}}),
            };
            let api: Api<Ingress> = Api::namespaced(self.client.clone(), namespace);
            match api
                .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
                .await
            {
                Ok(_) => match write {
                    Write::Set(_) => report.updated.push(key),
                    Write::Clear => report.cleared.push(key),
                },
                // Deleted since it was listed: nothing to write.
                Err(kube::Error::Api(s)) if s.is_not_found() => {}
                Err(e) => {
                    tracing::warn!(ingress = %key, error = %e, "status: write failed");
                    report.failed.push((key, e.to_string()));
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::networking::v1::{IngressLoadBalancerStatus, IngressStatus};

    use super::*;

    fn status_with(entries: Vec<IngressLoadBalancerIngress>) -> IngressStatus {
        IngressStatus {
            load_balancer: Some(IngressLoadBalancerStatus {
                ingress: Some(entries),
            }),
        }
    }

    fn ingress(shown: &[&str]) -> Ingress {
        Ingress {
            status: (!shown.is_empty()).then(|| status_with(entries(shown.iter().copied()))),
            ..Ingress::default()
        }
    }

    #[test]
    fn ours_get_our_addresses_only_when_they_differ() {
        let ours = entries(["192.0.2.10", "lb.example.com"]);
        assert_eq!(
            plan(&ingress(&[]), true, &ours),
            Some(Write::Set(ours.clone()))
        );
        assert_eq!(
            plan(&ingress(&["192.0.2.9"]), true, &ours),
            Some(Write::Set(ours.clone()))
        );
        // Same set, other order: nothing to write.
        assert_eq!(
            plan(&ingress(&["lb.example.com", "192.0.2.10"]), true, &ours),
            None
        );
    }

    #[test]
    fn others_are_cleared_only_when_they_show_only_our_addresses() {
        let ours = entries(["192.0.2.10"]);
        assert_eq!(
            plan(&ingress(&["192.0.2.10"]), false, &ours),
            Some(Write::Clear)
        );
        assert_eq!(
            plan(&ingress(&["192.0.2.10", "198.51.100.1"]), false, &ours),
            None
        );
        assert_eq!(plan(&ingress(&["198.51.100.1"]), false, &ours), None);
        assert_eq!(plan(&ingress(&[]), false, &ours), None);
    }

    #[test]
    fn addresses_are_ips_or_hostnames_sorted_without_duplicates() {
        let e = entries([
            "b.example.com",
            "2001:db8::1",
            "192.0.2.1",
            "b.example.com",
            "",
        ]);
        let shown: Vec<(Option<&str>, Option<&str>)> = e.iter().map(sort_key).collect();
        assert_eq!(
            shown,
            [
                (None, Some("b.example.com")),
                (Some("192.0.2.1"), None),
                (Some("2001:db8::1"), None)
            ]
        );
    }
}
