//! `terraform/proxmox/main.tf.json`: one `proxmox_virtual_environment_vm` per VM of the model
//! and one `proxmox_virtual_environment_download_file` per distinct Talos boot ISO (per host
//! with an `iso_datastore`). VMs boot the Image Factory `metal` ISO of their cluster's
//! schematic (the platform of [`schematic::platform`], the same the machineconfigs install) on
//! the q35 `ide2` slot (rule HLC311 refuses slots q35 lacks); static addresses come from the
//! machine configs. They run the QEMU guest agent only when the image carries its extension
//! (HLC312 refuses an explicit `true` without it). Every datastore is written explicitly — the
//! VM's, else the one its host implies ([`hlc_model::Machine::datastore_on`], HLC310 when none):
//! the provider's default, `local-lvm`, is never left to chance.

use super::{expr, file, ident, lit, output, terraform_block, variable, PROXMOX_PROVIDER};
use crate::talos::schematic::{self, image_url, schematic_id, QEMU_GUEST_AGENT};
use crate::RenderError;
use hlc_model::{Lab, MachineKind, Os};
use hlc_out::Artifact;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const TARGET: &str = "terraform";

/// Whether a VM runs the QEMU guest agent: as declared, else iff its image has the extension.
pub fn guest_agent(lab: &Lab, m: &hlc_model::Machine) -> bool {
    if let Some(a) = &m.guest_agent {
        return a.value;
    }
    m.os.value == Os::Talos
        && m.cluster
            .as_ref()
            .and_then(|c| lab.clusters.get(c.as_str()))
            .is_some_and(|c| schematic::for_cluster(c).has_extension(QEMU_GUEST_AGENT))
}

pub fn render(lab: &Lab) -> Result<Vec<Artifact>, RenderError> {
    let vms: Vec<_> = lab
        .machines
        .iter()
        .filter(|(_, m)| m.kind.value == MachineKind::Vm)
        .filter(|(_, m)| {
            m.host
                .as_ref()
                .is_some_and(|h| lab.hosts.contains_key(h.as_str()))
        })
        .collect();
    if vms.is_empty() {
        return Ok(Vec::new());
    }
    let mut sources = BTreeSet::new();
    let mut resources_vm = Map::new();
    let mut downloads = Map::new();
    let mut outputs = Map::new();
    let mut installers = BTreeMap::new();
    for (name, m) in &vms {
        sources.insert(m.origin.path.clone());
        let host_name = m.host.as_ref().unwrap().as_str();
        let host = &lab.hosts[host_name];
        sources.insert(host.origin.path.clone());
        let net = lab.networks.get(m.network.as_str());
        let datastore = m.datastore_on(host).map(str::to_string);
        let cluster = m
            .cluster
            .as_ref()
            .and_then(|c| lab.clusters.get(c.as_str()).map(|cl| (c.as_str(), cl)));
        let agent = guest_agent(lab, m);

        let mut tags: BTreeSet<String> = m.tags.iter().cloned().collect();
        if let Some((c, _)) = cluster {
            tags.insert(c.to_string());
        }
        if let Some(r) = &m.role {
            tags.insert(match r.value {
                hlc_model::Role::Controlplane => "control-plane".into(),
                hlc_model::Role::Worker => "worker".into(),
            });
        }
        let mut vm = Map::new();
        vm.insert("node_name".into(), json!(lit(&host.node)));
        if let Some(id) = &m.vmid {
            vm.insert("vm_id".into(), json!(id.value));
        }
        vm.insert("name".into(), json!(name));
        let description = m
            .description
            .clone()
            .unwrap_or_else(|| match (&cluster, &m.role) {
                (Some((c, _)), Some(r)) => format!(
                    "Talos {} node of cluster {c}",
                    if r.value == hlc_model::Role::Controlplane {
                        "control-plane"
                    } else {
                        "worker"
                    }
                ),
                _ => format!("VM {name}"),
            });
        vm.insert(
            "description".into(),
            json!(lit(&format!("{description}. Managed by hlc."))),
        );
        vm.insert(
            "tags".into(),
            json!(tags.into_iter().map(|t| lit(&t)).collect::<Vec<_>>()),
        );
        vm.insert("on_boot".into(), json!(true));
        vm.insert("bios".into(), json!(m.bios.value));
        vm.insert("machine".into(), json!(lit(&m.machine_type)));
        vm.insert("scsi_hardware".into(), json!("virtio-scsi-single"));
        vm.insert(
            "agent".into(),
            if agent {
                json!({"enabled": true, "trim": true})
            } else {
                json!({"enabled": false})
            },
        );
        vm.insert("stop_on_destroy".into(), json!(!agent));
        vm.insert(
            "cpu".into(),
            json!({"cores": m.cpu.value.as_f64().ceil() as i64, "type": lit(&m.cpu_type)}),
        );
        vm.insert("memory".into(), json!({"dedicated": m.memory.value.mib()}));
        if m.bios.value == "ovmf" {
            if let Some(ds) = &datastore {
                vm.insert(
                    "efi_disk".into(),
                    json!({"datastore_id": lit(ds), "type": "4m", "pre_enrolled_keys": false}),
                );
            }
        }
        let mut disk = Map::new();
        disk.insert("interface".into(), json!("scsi0"));
        if let Some(ds) = &datastore {
            disk.insert("datastore_id".into(), json!(lit(ds)));
        }
        disk.insert("size".into(), json!(m.disk.value.gib().ceil() as i64));
        disk.insert("discard".into(), json!("on"));
        disk.insert("ssd".into(), json!(true));
        disk.insert("iothread".into(), json!(true));
        disk.insert("file_format".into(), json!("raw"));
        vm.insert("disk".into(), json!([disk]));
        let mut nic = Map::new();
        nic.insert(
            "bridge".into(),
            json!(lit(net
                .and_then(|n| n.bridge.as_ref())
                .map(|b| b.as_str())
                .unwrap_or("vmbr0"))),
        );
        nic.insert("model".into(), json!("virtio"));
        if let Some(v) = net.and_then(|n| n.vlan.as_ref()) {
            nic.insert("vlan_id".into(), json!(v.value));
        }
        vm.insert("network_device".into(), json!([nic]));
        vm.insert("operating_system".into(), json!({"type": "l26"}));
        vm.insert("serial_device".into(), json!([{"device": "socket"}]));

        // Talos boot media: the nocloud ISO of the cluster's schematic.
        let talos = cluster.filter(|_| m.os.value == Os::Talos);
        if let (Some((cname, c)), Some(iso_ds)) = (talos, &host.iso_datastore) {
            sources.insert(c.origin.path.clone());
            let s = schematic::for_cluster(c);
            if let Ok(id) = schematic_id(&s) {
                let version = schematic::factory_version(&c.talos_version.to_string());
                let plat = schematic::platform(MachineKind::Vm);
                let file_name = format!("talos-{version}-{plat}-amd64-{}.iso", &id[..8]);
                let res = ident(&format!(
                    "talos-{}-{}-{}",
                    &id[..8],
                    version.replace('.', "-"),
                    host_name
                ));
                downloads.entry(res.clone()).or_insert_with(|| {
                    json!({
                        "node_name": lit(&host.node),
                        "datastore_id": lit(iso_ds),
                        "content_type": "iso",
                        "file_name": lit(&file_name),
                        "url": lit(&image_url(&id, &version, &format!("{plat}-amd64.iso"))),
                        "overwrite": false,
                    })
                });
                vm.insert(
                    "cdrom".into(),
                    json!({"file_id": expr(&format!("proxmox_virtual_environment_download_file.{res}.id")), "interface": lit(&m.cdrom)}),
                );
                vm.insert("boot_order".into(), json!(["scsi0", lit(&m.cdrom)]));
                installers.insert(
                    cname.to_string(),
                    schematic::installer_image(plat, &id, &version),
                );
            }
        }
        if let Some(addr) = &m.address {
            outputs.insert(
                format!("{}_ipv4", ident(name)),
                output(
                    json!(addr.value.to_string()),
                    &format!("Static IPv4 address of VM {name}"),
                ),
            );
        }
        resources_vm.insert(ident(name), Value::Object(vm));
        outputs.insert(
            format!("{}_vm_id", ident(name)),
            output(
                expr(&format!(
                    "proxmox_virtual_environment_vm.{}.vm_id",
                    ident(name)
                )),
                &format!("Proxmox VMID of {name}"),
            ),
        );
    }
    if !installers.is_empty() {
        outputs.insert(
            "talos_installer_images".into(),
            output(
                json!(installers),
                "Talos installer image per cluster (the image the machineconfigs install)",
            ),
        );
    }
    let endpoint = vms
        .first()
        .and_then(|(_, m)| m.host.as_ref())
        .map(|h| format!("https://{}:8006/", lab.hosts[h.as_str()].address.value));
    let mut resource = Map::new();
    resource.insert(
        "proxmox_virtual_environment_vm".into(),
        Value::Object(resources_vm),
    );
    if !downloads.is_empty() {
        resource.insert(
            "proxmox_virtual_environment_download_file".into(),
            Value::Object(downloads),
        );
    }
    let doc = json!({
        "//": "Generated by hlc from the lab model. Do not edit. Credentials come from the environment: PROXMOX_VE_API_TOKEN (user@realm!tokenid=secret).",
        "terraform": terraform_block(&[("proxmox", PROXMOX_PROVIDER)]),
        "provider": {"proxmox": {"endpoint": expr("var.proxmox_endpoint"), "insecure": expr("var.proxmox_insecure")}},
        "variable": {
            "proxmox_endpoint": variable("string", "Proxmox VE API URL", endpoint.map(Value::String), false),
            "proxmox_insecure": variable("bool", "Accept the self-signed certificate of the Proxmox VE API", Some(json!(true)), false),
        },
        "resource": resource,
        "output": outputs,
    });
    Ok(vec![file(
        TARGET,
        "terraform/proxmox/main.tf.json",
        doc,
        sources.into_iter().collect(),
    )?])
}
