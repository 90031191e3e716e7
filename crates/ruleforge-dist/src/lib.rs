//! Pull ruleforge rule bundles from OCI registries, verified as strictly as TUF would
//! without a TUF server: what a scanner needs, without the authoring stack.
//!
//! A bundle travels as one OCI artifact ([`artifact`]): the signed `.tar.gz`, one or more
//! detached minisign signatures ([`threshold`]: K of N distinct trusted keys), and a signed
//! freshness document ([`freshness`]) that the publisher re-signs on a schedule. A client
//! keeps a state file ([`state`]) with the last version and digest it accepted. Together
//! they refuse, each with its own [`DistError`] and exit code: a tampered blob (digest
//! mismatch), a wrong or missing key, one signature short of the threshold, a frozen mirror
//! (expired freshness), a bundle swapped under a freshness document (mix-and-match), and a
//! tag moved back (rollback).
//!
//! ```no_run
//! use ruleforge_dist::{pull, Credentials, PullOptions, Reference, State};
//! use ruleforge_bundle::{NoChecks, TrustedKey};
//! let reference = Reference::parse("oci://ghcr.io/acme/rules:latest")?;
//! let key = TrustedKey::parse(&std::fs::read_to_string("bundle.pub")?)?;
//! let opts = PullOptions { keys: vec![key], ..Default::default() };
//! let state_path = std::path::Path::new("state.json");
//! let mut state = State::load(state_path)?;
//! let credentials = Credentials::lookup(&reference.registry, &|k| std::env::var(k).ok())?;
//! let pulled = pull::fetch_and_verify(&reference, credentials, &opts, &state, &NoChecks)?;
//! pull::write(std::path::Path::new("rules"), &pulled)?;
//! state.record(&pulled.verified.bundle.manifest.name, pulled.accepted(&reference));
//! state.save(state_path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod artifact;
pub mod auth;
pub mod delta;
pub mod error;
pub mod freshness;
mod fsutil;
pub mod pull;
pub mod reference;
pub mod registry;
pub mod state;
pub mod threshold;

pub use auth::Credentials;
pub use error::DistError;
pub use freshness::{Freshness, VerifiedFreshness};
pub use fsutil::{write_all_atomic, write_atomic};
pub use pull::{PullOptions, Pulled};
pub use reference::{Reference, ReferenceError};
pub use registry::{Client, ClientOptions};
pub use state::{Accepted, State, StateError};
pub use threshold::{signature_file_name, ThresholdVerified};
