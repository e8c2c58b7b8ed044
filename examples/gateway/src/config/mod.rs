//! From the command line to an [`Index`]: manifests loaded with `ingress-model`, converted to
//! k8s-openapi objects and fed to one `ingress-kube` index, and `--endpoints` fed to the same
//! index as EndpointSlices, so that every backend resolves through one code path.

mod endpoints;
mod load;

pub use endpoints::{EndpointsArg, EndpointsError, EndpointsObjects, PortArg, slice};
pub use load::{Problem, load_manifests};

use ingress_kube::index::{Index, IndexConfig};
use ingress_model::Manifests;

use crate::cli::Args;

/// The index built from the command line, and what did not make it in.
#[derive(Debug)]
pub struct Built {
    /// Every object that loaded, converted and applied.
    pub index: Index,
    /// The manifests as loaded (the demo reads the Services from them).
    pub manifests: Manifests,
    /// Documents, objects and `--endpoints` that were skipped, each naming file, document and
    /// field. Each is skipped alone; the rest is served.
    pub problems: Vec<Problem>,
}

/// The index configuration of static mode: `--controller`, `--profile`, and class-less
/// Ingresses served unless `--ignore-classless` (files handed to the gateway are meant for it).
pub fn index_config(args: &Args) -> IndexConfig {
    IndexConfig::new(args.controller.clone())
        .accept_classless(!args.ignore_classless)
        .router(args.profile.config())
}

/// Loads the files of `args`, then applies its `--endpoints`.
pub fn build(args: &Args) -> Built {
    let mut index = Index::new(index_config(args));
    let (manifests, mut problems) = load_manifests(&args.files, &mut index);
    for arg in &args.endpoints {
        match arg.objects(&manifests.services) {
            Ok(objects) => problems.extend(objects.apply(&mut index)),
            Err(e) => problems.push(Problem::Endpoints(e)),
        }
    }
    Built {
        index,
        manifests,
        problems,
    }
}
