//! Generation counters kept in this process: right for a single gateway, wrong for several
//! (each would only see its own writes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::UnitId;

#[derive(Default)]
pub struct LocalStore {
    global: AtomicU64,
    units: Mutex<HashMap<UnitId, u64>>,
}

impl LocalStore {
    pub fn versions_of(&self, units: &[UnitId]) -> (u64, Vec<u64>) {
        let global = self.global.load(Ordering::SeqCst);
        let versions = match self.units.lock() {
            Ok(map) => units
                .iter()
                .map(|u| map.get(u).copied().unwrap_or(0))
                .collect(),
            Err(_) => vec![0; units.len()],
        };
        (global, versions)
    }

    pub fn bump(&self, units: &[UnitId]) {
        match self.units.lock() {
            Ok(mut map) => {
                for unit in units {
                    *map.entry(*unit).or_default() += 1;
                }
            }
            Err(_) => self.bump_global(),
        }
    }

    pub fn bump_global(&self) {
        self.global.fetch_add(1, Ordering::SeqCst);
    }
}
