//! HLC705 talos-install-image: an explicit installer image is not pinned to the cluster's Talos
//! version.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC705",
    name: "talos-install-image",
    severity: Error,
    summary: "a cluster's installer image has no version tag or digest, or a tag other than its Talos version",
    doc: r#"# HLC705 talos-install-image

**What.** A cluster sets `install.image` to an image reference that either

* has no tag and no digest, or the tag `latest`; or
* has a version tag (`:v1.11.0`) that is not the cluster's `talos_version`.

A digest (`@sha256:…`) counts as pinned. Without `install.image` hlc derives the Image Factory
installer of the declared extensions, tagged with `talos_version`, so it is always pinned.

**Why.** The installer decides which Talos release a node installs and upgrades to: an unpinned
image moves under you (two nodes installed a week apart run different releases), and a tag that
disagrees with `talos_version` makes the model lie about what runs — the machine config is
rendered for one release and installs another.

**Example.**

```nickel
clusters.dev = { talos_version = "1.12.1", install.image = "ghcr.io/siderolabs/installer:latest", … },
```

**Fix.** Tag the image with the cluster's version (`ghcr.io/siderolabs/installer:v1.12.1`), or
remove `install.image` and let hlc derive the Image Factory installer.
"#,
}

/// The tag of an image reference (`registry:5000/a/b:tag`), if any.
fn tag(image: &str) -> Option<&str> {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.rsplit_once(':').map(|(_, t)| t)
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, c) in &lab.clusters {
        let Some(img) = &c.install.image else {
            continue;
        };
        if img.value.contains("@sha256:") {
            continue;
        }
        let want = format!("v{}", c.talos_version.value);
        let problem = match tag(&img.value) {
            None | Some("latest") => format!("`{}` is not pinned to a version", img.value),
            Some(t) if t.trim_start_matches('v') != want.trim_start_matches('v') => format!(
                "`{}` is tagged {t}, but the cluster runs Talos {}",
                img.value, c.talos_version.value
            ),
            Some(_) => continue,
        };
        out.push(
            INFO.diag(format!("cluster `{name}`: installer image {problem}"))
                .with_path(hlc_model::decode::join(&at(&c.origin, "install"), "image"))
                .with_span(img.span)
                .with_label(c.talos_version.span, "the cluster's Talos version")
                .with_help(format!(
                    "tag it `:{want}` (or pin a digest), or remove `install.image` to use the Image Factory installer"
                )),
        );
    }
}
