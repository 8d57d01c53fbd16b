//! Self-validating value types: a value of these types is valid by construction ("parse, don't
//! validate"). Each `parse` returns a [`TypeError`] whose code and help line become the
//! diagnostic of the config value that failed.

use serde::{Serialize, Serializer};
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Why a value failed to parse: a stable diagnostic code, a message and a help line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

fn err(code: &'static str, message: impl Into<String>, help: impl Into<String>) -> TypeError {
    TypeError {
        code,
        message: message.into(),
        help: help.into(),
    }
}

macro_rules! display_serialize {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

/// An IPv4 address in dotted-quad form (no leading zeros, no shorthand).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4(pub Ipv4Addr);

impl Ipv4 {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        Ipv4Addr::from_str(s).map(Ipv4).map_err(|_| {
            err(
                "HLC103",
                format!("`{s}` is not an IPv4 address"),
                "write four decimal octets 0-255 without leading zeros, e.g. \"192.168.68.51\"",
            )
        })
    }
    pub fn to_u32(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
display_serialize!(Ipv4);

/// An IPv4 network in CIDR notation whose host bits are zero (`10.0.1.0/24`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: Ipv4Addr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let bad = || {
            err(
                "HLC104",
                format!("`{s}` is not an IPv4 CIDR"),
                "write a network address and a prefix length 0-32, e.g. \"10.0.1.0/24\"",
            )
        };
        let (a, p) = s.split_once('/').ok_or_else(bad)?;
        let addr = Ipv4Addr::from_str(a).map_err(|_| bad())?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u8 = p.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        let c = Cidr { addr, prefix };
        let net = Ipv4Addr::from(u32::from(addr) & c.mask());
        if net != addr {
            return Err(err(
                "HLC105",
                format!("`{s}` has host bits set"),
                format!("the network of this address is {net}/{prefix}; write that"),
            ));
        }
        Ok(c)
    }
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
    pub fn network(&self) -> Ipv4Addr {
        self.addr
    }
    fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        }
    }
    pub fn first(&self) -> u32 {
        u32::from(self.addr)
    }
    pub fn last(&self) -> u32 {
        self.first() | !self.mask()
    }
    pub fn contains(&self, ip: Ipv4) -> bool {
        (ip.to_u32() & self.mask()) == self.first()
    }
    /// The broadcast address for prefixes up to /30; a host may not use it nor the network address.
    pub fn is_reserved_host(&self, ip: Ipv4) -> bool {
        self.prefix <= 30 && (ip.to_u32() == self.first() || ip.to_u32() == self.last())
    }
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
    /// Whether `other` lies entirely inside `self`.
    pub fn covers(&self, other: &Cidr) -> bool {
        self.first() <= other.first() && other.last() <= self.last()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}
display_serialize!(Cidr);

fn check_label(label: &str, whole: &str, code: &'static str) -> Result<(), TypeError> {
    let what = if code == "HLC106" {
        "hostname"
    } else {
        "domain name"
    };
    if label.is_empty() {
        return Err(err(
            code,
            format!("`{whole}` is not a valid {what}: empty label"),
            "labels are separated by single dots and cannot be empty",
        ));
    }
    if let Some(c) = label.chars().find(|c| !c.is_ascii()) {
        // Invisible characters (a zero-width space pasted with the name) are shown escaped.
        let shown = whole.escape_debug();
        let cp = format!("U+{:04X}", c as u32);
        return Err(if c.is_alphanumeric() {
            err(
                code,
                format!("`{shown}` is not a valid {what}: it contains the non-ASCII character `{c}` ({cp})"),
                "write internationalised names in their punycode form (xn--…); a letter that only looks Latin (Cyrillic а, е, о) must be retyped",
            )
        } else {
            err(
                code,
                format!("`{shown}` is not a valid {what}: it contains the character {cp}, which is neither a letter nor a digit (often invisible)"),
                "delete the character: retype the name",
            )
        });
    }
    if label.len() > 63 {
        return Err(err(
            code,
            format!("`{whole}` is not a valid {what}: label longer than 63 characters"),
            "DNS labels hold at most 63 characters",
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let help = if c.is_ascii_uppercase() {
            format!("write it in lower case: `{}`", whole.to_ascii_lowercase())
        } else {
            "use only lower-case letters, digits and '-'".to_string()
        };
        return Err(err(
            code,
            format!("`{whole}` is not a valid {what}: character `{c}` is not allowed"),
            help,
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(err(
            code,
            format!("`{whole}` is not a valid {what}: a label starts or ends with '-'"),
            "labels start and end with a letter or digit",
        ));
    }
    Ok(())
}

/// One DNS label (RFC 1123): a machine name, a service's subdomain, a namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        if s.contains('.') {
            return Err(err(
                "HLC106",
                format!("`{s}` is not a valid hostname: it contains a dot"),
                "give the first label only (e.g. \"grafana\"); the lab's domain is appended for you",
            ));
        }
        check_label(s, s, "HLC106")?;
        Ok(Hostname(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
display_serialize!(Hostname);

/// A fully qualified domain name, without the trailing dot (`example.org`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fqdn(String);

impl Fqdn {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let t = s.strip_suffix('.').unwrap_or(s);
        if t.len() > 253 {
            return Err(err(
                "HLC107",
                format!("`{s}` is not a valid domain name: longer than 253 characters"),
                "a domain name holds at most 253 characters",
            ));
        }
        let labels: Vec<&str> = t.split('.').collect();
        if labels.len() < 2 {
            return Err(err(
                "HLC107",
                format!("`{s}` is not a fully qualified domain name"),
                "write at least two labels, e.g. \"example.org\"",
            ));
        }
        for l in &labels {
            check_label(l, s, "HLC107")?;
        }
        if labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err(
                "HLC107",
                format!("`{s}` is not a valid domain name: the top-level label is numeric"),
                "an IP address is not a domain name",
            ));
        }
        Ok(Fqdn(t.to_string()))
    }
    /// `label.self`.
    pub fn child(&self, label: &Hostname) -> Fqdn {
        Fqdn(format!("{}.{}", label.as_str(), self.0))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
display_serialize!(Fqdn);

/// A size in bytes, written with a unit: `"4GiB"`, `"512MiB"`, `"50GB"`, `"1TB"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl Bytes {
    pub const KIB: u64 = 1024;
    pub const MIB: u64 = 1024 * 1024;
    pub const GIB: u64 = 1024 * 1024 * 1024;

    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let bad = |why: &str| {
            err(
                "HLC108",
                format!("`{s}` is not a size: {why}"),
                "write a whole number and a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. \"4GiB\"",
            )
        };
        let t = s.trim();
        let split = t
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| bad("no unit"))?;
        let (num, unit) = t.split_at(split);
        if num.is_empty() {
            return Err(bad(if t.starts_with('-') {
                "sizes cannot be negative"
            } else {
                "no number"
            }));
        }
        let mult: u64 = match unit.trim() {
            "B" => 1,
            "KiB" => Self::KIB,
            "MiB" => Self::MIB,
            "GiB" => Self::GIB,
            "TiB" => Self::GIB * 1024,
            "KB" | "kB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "TB" => 1_000_000_000_000,
            _ => return Err(bad("unknown unit")),
        };
        let n: u64 = num.parse().map_err(|_| bad("number too large"))?;
        let v = n.checked_mul(mult).ok_or_else(|| bad("number too large"))?;
        if v == 0 {
            return Err(bad("a size must be greater than zero"));
        }
        Ok(Bytes(v))
    }
    pub fn gib(self) -> f64 {
        self.0 as f64 / Self::GIB as f64
    }
    pub fn mib(self) -> u64 {
        self.0 / Self::MIB
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        for (unit, m) in [
            ("TiB", Self::GIB * 1024),
            ("GiB", Self::GIB),
            ("MiB", Self::MIB),
            ("TB", 1_000_000_000_000u64),
            ("GB", 1_000_000_000),
            ("MB", 1_000_000),
            ("KiB", Self::KIB),
            ("KB", 1_000),
        ] {
            if v >= m && v.is_multiple_of(m) {
                return write!(f, "{}{unit}", v / m);
            }
        }
        write!(f, "{v}B")
    }
}
display_serialize!(Bytes);

/// A CPU count (vCPUs, cores or OCPUs) in thousandths: `2`, `0.5`, `1.125`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cpu(pub u32);

impl Cpu {
    pub fn from_f64(x: f64) -> Result<Self, TypeError> {
        if !x.is_finite() || x <= 0.0 {
            return Err(err(
                "HLC109",
                format!("`{x}` is not a CPU count: it must be greater than zero"),
                "give the number of vCPUs (or OCPUs on Oracle Cloud), e.g. 2",
            ));
        }
        let milli = (x * 1000.0).round();
        if (milli / 1000.0 - x).abs() > 1e-9 || milli > 1_000_000.0 {
            return Err(err(
                "HLC109",
                format!("`{x}` is not a CPU count"),
                "use at most three decimals and at most 1000 CPUs",
            ));
        }
        Ok(Cpu(milli as u32))
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}", self.0 / 1000)
        } else {
            let s = format!("{:.3}", self.as_f64());
            f.write_str(s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Cpu {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(1000) {
            s.serialize_u64(u64::from(self.0 / 1000))
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

/// A `major.minor.patch` version, optionally written with a leading `v`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let t = s.strip_prefix('v').unwrap_or(s);
        let parts: Vec<&str> = t.split('.').collect();
        let nums: Option<Vec<u32>> = parts
            .iter()
            .map(|p| {
                if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse().ok()
                } else {
                    None
                }
            })
            .collect();
        match nums.as_deref() {
            Some([a, b, c]) => Ok(Version {
                major: *a,
                minor: *b,
                patch: *c,
            }),
            _ => Err(err(
                "HLC111",
                format!("`{s}` is not a version"),
                "write major.minor.patch, e.g. \"1.12.1\" (a leading v is allowed)",
            )),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}
display_serialize!(Version);

/// A calendar date `YYYY-MM-DD` (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn parse(s: &str) -> Result<Self, TypeError> {
        let bad = || {
            err(
                "HLC112",
                format!("`{s}` is not a date"),
                "write an ISO date YYYY-MM-DD, e.g. \"2026-06-15\"",
            )
        };
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, TypeError> {
            let p = &s[r];
            if p.bytes().all(|c| c.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if day == 0 || day > days {
            return Err(bad());
        }
        Ok(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}
display_serialize!(Date);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_edges() {
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().last(), u32::MAX);
        assert_eq!(Cidr::parse("10.0.1.10/32").unwrap().prefix(), 32);
        let e = Cidr::parse("10.0.1.1/24").unwrap_err();
        assert_eq!(e.code, "HLC105");
        assert!(e.help.contains("10.0.1.0/24"));
        for bad in [
            "10.0.1.0",
            "10.0.1.0/33",
            "10.0.1.0/",
            "10.0.1/24",
            "10.0.1.0/024x",
            "/8",
        ] {
            assert_eq!(Cidr::parse(bad).unwrap_err().code, "HLC104", "{bad}");
        }
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        let b = Cidr::parse("10.0.1.0/24").unwrap();
        assert!(a.overlaps(&b) && a.covers(&b) && !b.covers(&a));
        assert!(!b.overlaps(&Cidr::parse("10.0.2.0/24").unwrap()));
        assert!(b.contains(Ipv4::parse("10.0.1.255").unwrap()));
        assert!(b.is_reserved_host(Ipv4::parse("10.0.1.255").unwrap()));
    }

    #[test]
    fn ipv4_rejects_leading_zeros_and_junk() {
        assert!(Ipv4::parse("192.168.68.51").is_ok());
        for bad in ["192.168.068.51", "256.1.1.1", "1.2.3", "a.b.c.d", ""] {
            assert!(Ipv4::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hostnames_and_domains() {
        assert!(Hostname::parse("oci-node-1").is_ok());
        assert!(Hostname::parse("Grafana")
            .unwrap_err()
            .help
            .contains("grafana"));
        assert!(Hostname::parse("-x").is_err());
        assert!(Hostname::parse("a.b").is_err());
        assert!(Hostname::parse("bücher")
            .unwrap_err()
            .help
            .contains("punycode"));
        assert!(Hostname::parse(&"a".repeat(64)).is_err());
        assert_eq!(Fqdn::parse("example.org.").unwrap().as_str(), "example.org");
        assert!(Fqdn::parse("localhost").is_err());
        assert!(Fqdn::parse("1.2.3.4").is_err());
        assert!(Fqdn::parse("xn--bcher-kva.example").is_ok());
    }

    #[test]
    fn sizes() {
        assert_eq!(Bytes::parse("4GiB").unwrap().0, 4 << 30);
        assert_eq!(Bytes::parse("50GB").unwrap().0, 50_000_000_000);
        assert_eq!(Bytes::parse("12288MiB").unwrap().to_string(), "12GiB");
        assert!(Bytes::parse("-4GiB")
            .unwrap_err()
            .message
            .contains("negative"));
        assert!(Bytes::parse("4").is_err());
        assert!(Bytes::parse("4 parsecs").is_err());
        assert!(Bytes::parse("99999999999999999999GiB").is_err());
        assert!(Bytes::parse("0GiB").is_err());
    }

    #[test]
    fn cpus_versions_dates() {
        assert_eq!(Cpu::from_f64(1.5).unwrap().to_string(), "1.5");
        assert_eq!(Cpu::from_f64(2.0).unwrap().to_string(), "2");
        assert!(Cpu::from_f64(0.0).is_err());
        assert!(Cpu::from_f64(-1.0).is_err());
        assert!(Cpu::from_f64(0.0001).is_err());
        assert_eq!(Version::parse("v1.12.1").unwrap().to_string(), "1.12.1");
        assert!(Version::parse("1.12").is_err());
        assert!(Date::parse("2026-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2026-6-15").is_err());
    }
}
