//! The in-process reference engine.

use crate::Engine;
use blindpost::store::{MemoryStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An engine over [`MemoryStore`]: namespaces are a map of shared stores; nothing to restart,
/// kill or share between processes. The suite's own tests run every check on it, and the perf
/// example uses it as the reference.
#[derive(Default)]
pub struct MemoryEngine {
    namespaces: Mutex<HashMap<String, Arc<MemoryStore>>>,
    /// Whether it claims that two processes see the same data: false (the default) is true of
    /// memory; true lets a test show that `process_race` catches an engine that lies.
    pub claims_shared: bool,
}

impl Engine for MemoryEngine {
    /// Every open of a namespace shares its one store.
    type Store = Arc<MemoryStore>;

    fn name(&self) -> &'static str {
        "memory"
    }

    fn open(&self, namespace: &str) -> Result<Self::Store, StoreError> {
        let mut map = self
            .namespaces
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?;
        Ok(Arc::clone(map.entry(namespace.to_string()).or_default()))
    }

    fn restart(&self) -> Result<(), String> {
        Ok(())
    }

    fn kill_connections(&self) -> Result<bool, String> {
        Ok(false)
    }

    fn shared_by_processes(&self) -> bool {
        self.claims_shared
    }
}
