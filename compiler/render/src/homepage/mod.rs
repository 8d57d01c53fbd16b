//! Homepage (issue 7): `homepage/services.yaml`, the start page's service list, grouped by
//! exposure — "Public" (published through the tunnel) then "Admin" (behind Cloudflare Access) —
//! with every link the service's real public URL (`https://<fqdn>`), the same FQDN the DNS record
//! and tunnel rule are rendered for. Private and internal services have no public link and are
//! not listed. Services are in name order inside a group.

use crate::yaml::to_yaml;
use crate::{artifact, RenderContext, RenderError};
use hlc_model::{Exposure, Lab};
use hlc_out::Artifact;
use serde_json::{json, Value};

const TARGET: &str = "homepage";

/// Renders `homepage/services.yaml`.
pub fn render(lab: &Lab, _ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut groups = Vec::new();
    let mut sources = vec!["name".to_string(), "domain".to_string()];
    for (group, exposure) in [("Public", Exposure::Public), ("Admin", Exposure::Access)] {
        let mut items: Vec<Value> = Vec::new();
        for (name, s) in &lab.services {
            if *s.exposure != exposure {
                continue;
            }
            let Some(url) = crate::authentik::public_url(lab, s) else {
                continue;
            };
            let mut entry = json!({ "href": url, "siteMonitor": url });
            if let Some(d) = &s.description {
                entry["description"] = json!(d);
            }
            items.push(json!({ name.as_str(): entry }));
            sources.push(format!("services.{name}"));
        }
        if !items.is_empty() {
            groups.push(json!({ group: items }));
        }
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![artifact(
        TARGET,
        "homepage/services.yaml",
        to_yaml(&Value::Array(groups)),
        sources,
    )?])
}
