//! The engines the suite knows, each found through the environment `ci/engines.sh` writes.

pub mod embedded;
pub mod postgres;
pub mod redis_cluster;
