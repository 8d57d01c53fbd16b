//! HLC410 unjustified-ingress: an inbound security rule of a cloud site without a `reason`.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC410",
    name: "unjustified-ingress",
    severity: Error,
    summary: "an inbound cloud security rule has no reason (an unjustified port open to the Internet)",
    doc: r#"# HLC410 unjustified-ingress

**What.** Every entry of a site's `ingress` (the inbound rules rendered into the Oracle Cloud
security list) must say why it exists in `reason`. A rule without one is an error, and the
message says when it is open to the whole Internet (`0.0.0.0/0`).

**Why.** The lab is Zero Trust: public traffic enters through the Cloudflare Tunnel and admin
access through Twingate, both outbound connections, so the VCN needs no inbound port from the
Internet. A rule nobody can justify — typically SSH opened "for a minute" — is how instances get
brute-forced. Requiring the reason makes every open port a reviewed decision, and the reason is
written into the rule's description in Terraform.

**Example.**

```nickel
sites.oci.ingress = [ { protocol = 'tcp, port = 22 } ],   # source defaults to 0.0.0.0/0
```

**Fix.** Remove the rule (reach the node through Twingate), narrow `source` to the network that
needs it, or — if it really must be open — add `reason = "…"`.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (site_name, site) in &lab.sites {
        for r in &site.ingress {
            if r.reason.is_some() {
                continue;
            }
            let world = r.peer.value.prefix() == 0;
            let what = match &r.port {
                Some(p) => format!("{} port {}", r.protocol.value, p.value),
                None => format!("{} (every port)", r.protocol.value),
            };
            let msg = if world {
                format!("site `{site_name}` opens {what} to the whole Internet (0.0.0.0/0) without a reason")
            } else {
                format!(
                    "site `{site_name}` admits {what} from {} without a reason",
                    r.peer.value
                )
            };
            let span = r.port.as_ref().and_then(|p| p.span).or(r.origin.span);
            out.push(
                INFO.diag(msg)
                    .with_path(match &r.port {
                        Some(_) => at(&r.origin, "port"),
                        None => r.origin.path.clone(),
                    })
                    .with_span(span)
                    .with_help("remove the rule (reach the node through Twingate or the tunnel), narrow its `source`, or add `reason = \"…\"`"),
            );
        }
    }
}
