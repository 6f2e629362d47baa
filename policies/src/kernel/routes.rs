//! Queue routing by expression: an operation that names no queue goes to the first route
//! whose expression holds for its inputs and resources, before its project's default queue.

use super::Kernel;
use crate::expr::{Expr, Value};
use crate::ids::QueueId;
use crate::model::OpSpec;

impl Kernel {
    /// Adds a route: operations naming no queue whose `when` holds go to `queue`. Routes are
    /// tried in the order added; `when` may read `inputs.K` and `resources.cpu|mem_mib|gpu|
    /// replicas` (CPU in cores).
    pub fn add_route(&mut self, when: Expr, queue: QueueId) -> Result<(), String> {
        if queue.index() >= self.queues.len() {
            return Err(format!("route `{when}` names an unknown queue id {}", queue.0));
        }
        for p in when.paths() {
            let ok = match p.first().map(String::as_str) {
                Some("inputs") => p.len() == 2,
                Some("resources") => p.len() == 2 && RESOURCE_PATHS.contains(&p[1].as_str()),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "route `{when}` reads `{}`; a route may read only inputs.NAME and resources.{}",
                    p.join("."),
                    RESOURCE_PATHS.join("|")
                ));
            }
        }
        self.routes.push((when, queue));
        Ok(())
    }

    /// The queue of the first route that holds for `spec`. A route reading an input the
    /// operation does not have, or comparing values of different types, does not hold.
    pub(super) fn route(&self, spec: &OpSpec) -> Option<QueueId> {
        let lookup = |p: &[String]| spec_value(spec, p);
        self.routes.iter().find(|(when, _)| when.eval(&lookup) == Ok(true)).map(|r| r.1)
    }
}

/// What `resources.X` may name.
pub(super) const RESOURCE_PATHS: [&str; 4] = ["cpu", "mem_mib", "gpu", "replicas"];

/// `inputs.K` and `resources.X` of a submission.
pub(super) fn spec_value(spec: &OpSpec, path: &[String]) -> Option<Value> {
    match path {
        [head, k] if head == "inputs" => spec.inputs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        [head, r] if head == "resources" => resource_value(&spec.resources, spec.replicas, r),
        _ => None,
    }
}

pub(super) fn resource_value(r: &crate::resources::Resources, replicas: u32, name: &str) -> Option<Value> {
    Some(Value::Num(match name {
        "cpu" => r.0[crate::resources::CPU] as f64 / 1000.0,
        "mem_mib" => r.0[crate::resources::MEM] as f64,
        "gpu" => r.0[crate::resources::GPU] as f64,
        "replicas" => f64::from(replicas),
        _ => return None,
    }))
}
