//! Talos targets. [`schematic`]: Image Factory schematic IDs and the installer / boot image
//! references derived from them, shared by the Talos machineconfigs and the Terraform VM and
//! instance definitions.

pub mod schematic;

// Issue 5 (Talos machineconfigs): [`bundle`] is the secrets bundle's format and how its values
// reach the renderers; [`machineconfig`] renders `out/talos/<cluster>/{<node>.yaml,talosconfig}`.
pub mod bundle;
pub mod machineconfig;
