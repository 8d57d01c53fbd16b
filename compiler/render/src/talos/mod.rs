//! Talos targets. [`schematic`]: Image Factory schematic IDs and the installer / boot image
//! references derived from them, shared by the Talos machineconfigs and the Terraform VM and
//! instance definitions.

pub mod schematic;
