//! Resilience (issue 12): backups (stores, lab-wide defaults, cluster policies, per-service
//! policies) and monitoring (alert receivers, status checkers), with the two value types they
//! need: [`Duration`] (`14d`, `336h`) and [`Schedule`] (a five-field cron expression, parsed with
//! `croner`).
//!
//! Decoding only checks shapes and formats (durations: HLC800). Cron syntax is checked by the
//! rule HLC804 in `hlc-check` (so that one run reports every bad schedule with what it would
//! have meant), and [`Lab::backup_plans`] resolves every policy against the defaults once, for
//! the rules and the renderers alike.

use crate::decode::{Decoder, Rec, Sp};
use crate::types::{Bytes, TypeError};
use crate::{Lab, Named, Origin, Placement};
use hlc_diag::Node;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Value types

/// A length of time, whole minutes: `30m`, `25h`, `14d`, `2w`, or a sum such as `1d12h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Duration {
    pub minutes: u64,
}

impl Duration {
    pub fn parse(s: &str) -> Result<Duration, TypeError> {
        let bad = |why: &str| TypeError {
            code: "HLC800",
            message: format!("`{s}` is not a duration: {why}"),
            help:
                "write a whole number and a unit (m, h, d, w), e.g. \"14d\", \"336h\" or \"1d12h\""
                    .to_string(),
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in t.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                'm' => 1,
                'h' => 60,
                'd' => 60 * 24,
                'w' => 60 * 24 * 7,
                _ => return Err(bad(&format!("`{c}` is not a unit"))),
            };
            if digits.is_empty() {
                return Err(bad(&format!("no number before `{c}`")));
            }
            let n: u64 = digits.parse().map_err(|_| bad("the number is too large"))?;
            total = n
                .checked_mul(unit)
                .and_then(|x| total.checked_add(x))
                .ok_or_else(|| bad("it is too long"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(bad("the last number has no unit"));
        }
        if total == 0 {
            return Err(bad("it is zero"));
        }
        if total > 60 * 24 * 366 * 10 {
            return Err(bad("it is longer than ten years"));
        }
        Ok(Duration { minutes: total })
    }

    pub fn from_minutes(minutes: u64) -> Duration {
        Duration { minutes }
    }

    /// Whole hours, rounded up.
    pub fn hours_ceil(self) -> u64 {
        self.minutes.div_ceil(60)
    }

    /// Whole days, rounded up.
    pub fn days_ceil(self) -> u64 {
        self.minutes.div_ceil(60 * 24)
    }

    /// The Go `time.Duration` spelling Kubernetes controllers read (`336h0m0s`).
    pub fn go(self) -> String {
        format!("{}h{}m0s", self.minutes / 60, self.minutes % 60)
    }

    /// The Prometheus duration spelling (`25h`, `90m`).
    pub fn prometheus(self) -> String {
        if self.minutes.is_multiple_of(60) {
            format!("{}h", self.minutes / 60)
        } else {
            format!("{}m", self.minutes)
        }
    }
}

impl fmt::Display for Duration {
    /// The largest exact unit among days, hours, minutes: `14d`, `36h`, `90m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.minutes;
        for (unit, size) in [("d", 60 * 24), ("h", 60)] {
            if m.is_multiple_of(size) {
                return write!(f, "{}{unit}", m / size);
            }
        }
        write!(f, "{m}m")
    }
}

/// A five-field cron schedule (minute hour day-of-month month day-of-week, UTC), as Velero reads
/// it; the descriptors `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` are accepted too.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub expr: String,
    cron: croner::Cron,
}

/// How often a [`Schedule`] runs, measured over four calendar years from a fixed date (hlc never
/// reads the clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cadence {
    /// The longest time between two consecutive runs.
    pub max_gap: Duration,
}

impl Schedule {
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let t = s.trim();
        let fields = t.split_whitespace().count();
        if !t.starts_with('@') && fields != 5 {
            return Err(format!(
                "a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has {fields}"
            ));
        }
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build();
        let cron = parser.parse(t).map_err(|e| e.to_string())?;
        let s = Schedule {
            expr: t.to_string(),
            cron,
        };
        if s.runs(1).is_empty() {
            return Err("it never runs (no date matches it)".to_string());
        }
        Ok(s)
    }

    fn start() -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid date")
    }

    /// The first runs after 2025-01-01 00:00 UTC (a fixed reference date).
    pub fn runs(&self, n: usize) -> Vec<chrono::NaiveDateTime> {
        self.cron.iter_after(Self::start()).take(n).collect()
    }

    /// The longest gap between runs over 2025–2028 (a leap year included); `None` if it runs
    /// fewer than twice in that time. Computed once per expression and process (it walks up to
    /// ten thousand runs; the rules and the renderers ask for the same schedules).
    pub fn cadence(&self) -> Option<Cadence> {
        use std::sync::{Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<BTreeMap<String, Option<Cadence>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
        if let Some(c) = cache.lock().ok().and_then(|m| m.get(&self.expr).copied()) {
            return c;
        }
        let c = self.measure_cadence();
        if let Ok(mut m) = cache.lock() {
            m.insert(self.expr.clone(), c);
        }
        c
    }

    fn measure_cadence(&self) -> Option<Cadence> {
        let end = chrono::NaiveDate::from_ymd_opt(2029, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid date");
        let mut prev: Option<chrono::NaiveDateTime> = None;
        let mut max: i64 = 0;
        let mut count = 0usize;
        // At most ~10,000 runs are looked at: a schedule that frequent has tiny gaps anyway.
        for t in self.cron.iter_after(Self::start()).take(10_000) {
            if t >= end {
                break;
            }
            if let Some(p) = prev {
                max = max.max((t - p).num_minutes());
            }
            prev = Some(t);
            count += 1;
        }
        (count >= 2).then(|| Cadence {
            max_gap: Duration::from_minutes(max.max(1) as u64),
        })
    }

    /// When it runs, in words: "every day at 03:00 UTC", "every Sunday at 04:00 UTC", or, for
    /// other patterns, the first runs.
    pub fn describe(&self) -> String {
        let f: Vec<&str> = self.expr.split_whitespace().collect();
        let num = |s: &str| s.parse::<u32>().ok();
        if f.len() == 5 {
            if let (Some(m), Some(h)) = (num(f[0]), num(f[1])) {
                let at = format!("{h:02}:{m:02} UTC");
                match (f[2], f[3], f[4]) {
                    ("*", "*", "*") => return format!("every day at {at}"),
                    ("*", "*", d) => {
                        if let Some(day) = num(d).and_then(weekday) {
                            return format!("every {day} at {at}");
                        }
                    }
                    (dom, "*", "*") => {
                        if let Some(n) = num(dom) {
                            return format!("on day {n} of every month at {at}");
                        }
                    }
                    _ => {}
                }
            }
        }
        let runs: Vec<String> = self
            .runs(3)
            .iter()
            .map(|t| {
                use chrono::{Datelike, Timelike};
                let day = weekday(t.weekday().num_days_from_sunday()).unwrap_or("?");
                format!(
                    "{} {:04}-{:02}-{:02} {:02}:{:02}",
                    &day[..3],
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute()
                )
            })
            .collect();
        format!("at {} UTC, …", runs.join(", "))
    }
}

fn weekday(n: u32) -> Option<&'static str> {
    [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    .get(n as usize)
    .copied()
}

// ---------------------------------------------------------------------------------------------
// The model

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// OCI Object Storage through its S3-compatible API; hlc renders the bucket.
    Oci,
    /// Any S3-compatible bucket managed elsewhere.
    S3,
}

/// Where backups go.
#[derive(Clone, Debug, Serialize)]
pub struct BackupStore {
    pub kind: Sp<StoreKind>,
    /// The OCI site whose Terraform creates the bucket (kind `oci`).
    pub site: Option<Sp<String>>,
    pub bucket: Sp<String>,
    pub region: Option<Sp<String>>,
    /// The OCI Object Storage namespace of the tenancy.
    pub namespace: Option<Sp<String>>,
    pub endpoint: Option<Sp<String>>,
    /// The folder the backup tool writes under, without slashes at either end (may be empty).
    pub prefix: Sp<String>,
    /// A Secret and key holding an AWS credentials file; `None`: the agent's own credentials.
    pub credentials: Option<(Sp<String>, Sp<String>)>,
    /// Days after which the lifecycle policy deletes objects; `None` = derived (HLC801 doc).
    pub lifecycle_days: Option<Sp<i64>>,
    /// What the lifecycle rule deletes, relative to `prefix`.
    pub lifecycle_prefixes: Vec<Sp<String>>,
    pub quota: Option<Sp<Bytes>>,
    #[serde(skip)]
    pub origin: Origin,
}

impl BackupStore {
    /// The S3 API endpoint: `endpoint`, or for an 'oci store
    /// `https://<namespace>.compat.objectstorage.<region>.oraclecloud.com`.
    pub fn s3_endpoint(&self) -> Option<String> {
        if let Some(e) = &self.endpoint {
            return Some(e.value.clone());
        }
        match (&self.namespace, &self.region) {
            (Some(ns), Some(r)) if self.kind.value == StoreKind::Oci => Some(format!(
                "https://{}.compat.objectstorage.{}.oraclecloud.com",
                ns.value, r.value
            )),
            _ => None,
        }
    }

    /// `prefix/` + `rel`, or `rel` without a prefix.
    pub fn object_prefix(&self, rel: &str) -> String {
        let p = self.prefix.trim_matches('/');
        if p.is_empty() {
            rel.to_string()
        } else {
            format!("{p}/{rel}")
        }
    }
}

/// The lab-wide defaults of every backup policy.
#[derive(Clone, Debug, Serialize)]
pub struct BackupDefaults {
    pub schedule: Sp<String>,
    pub retention: Sp<Duration>,
    pub store: Option<Sp<String>>,
}

/// A cluster-wide backup policy (`backups.policies.<name>`).
#[derive(Clone, Debug, Serialize)]
pub struct BackupPolicy {
    pub cluster: Sp<String>,
    /// Empty: every namespace of the cluster's services.
    pub namespaces: Vec<Sp<String>>,
    pub schedule: Option<Sp<String>>,
    pub retention: Option<Sp<Duration>>,
    pub store: Option<Sp<String>>,
    pub volumes: Sp<bool>,
    #[serde(skip)]
    pub origin: Origin,
}

/// `backups`: stores, defaults, policies.
#[derive(Clone, Debug, Serialize)]
pub struct Backups {
    pub defaults: BackupDefaults,
    pub stores: Named<BackupStore>,
    pub policies: Named<BackupPolicy>,
}

impl Default for Backups {
    fn default() -> Self {
        Backups {
            defaults: BackupDefaults {
                schedule: Sp::new("0 3 * * *".into(), None),
                retention: Sp::new(Duration::from_minutes(14 * 24 * 60), None),
                store: None,
            },
            stores: Named::new(),
            policies: Named::new(),
        }
    }
}

/// A service's own backup policy (`services.<name>.backup`).
#[derive(Clone, Debug, Serialize)]
pub struct ServiceBackup {
    pub enabled: Sp<bool>,
    pub schedule: Option<Sp<String>>,
    pub retention: Option<Sp<Duration>>,
    pub store: Option<Sp<String>>,
    pub reason: Option<Sp<String>>,
    #[serde(skip)]
    pub origin: Origin,
}

/// How a status check asks a service whether it is up.
#[derive(Clone, Debug, Serialize)]
pub struct Health {
    pub path: Sp<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverKind {
    Discord,
    Slack,
    Webhook,
}

/// An Alertmanager receiver: its kind and the secret holding its URL.
#[derive(Clone, Debug, Serialize)]
pub struct Receiver {
    pub kind: Sp<ReceiverKind>,
    pub url_secret: Sp<String>,
    /// `critical`, `warning`, `info`.
    pub severities: Vec<Sp<&'static str>>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckerKind {
    /// A Prometheus blackbox exporter: hlc renders `Probe`s.
    Blackbox,
    /// Uptime Kuma: hlc renders an import file of monitors.
    UptimeKuma,
}

/// `monitoring`: receivers and status checkers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Monitoring {
    pub receivers: Named<Receiver>,
    /// Service name → what kind of checker it is.
    pub checkers: BTreeMap<String, Sp<CheckerKind>>,
    #[serde(skip)]
    pub checkers_path: String,
}

// ---------------------------------------------------------------------------------------------
// Resolved policies

/// A value with the config path it came from (a policy's own field or `backups.defaults.*`).
#[derive(Clone, Debug)]
pub struct At<'a, T> {
    pub value: &'a Sp<T>,
    pub path: String,
}

/// What `backups.policies.<name>` or `services.<name>.backup` means once the defaults are
/// applied: one Velero `Schedule`.
#[derive(Clone, Debug)]
pub struct BackupPlan<'a> {
    /// The Schedule's name: the policy's or the service's name.
    pub name: &'a str,
    /// `backups.policies.<name>` or `services.<name>.backup`.
    pub path: String,
    pub origin: &'a Origin,
    pub cluster: &'a Sp<String>,
    /// Empty: every namespace of the cluster's services.
    pub namespaces: Vec<&'a str>,
    /// For a service's own policy: its release (selects its resources by instance label).
    pub release: Option<&'a str>,
    pub schedule: At<'a, String>,
    pub retention: At<'a, Duration>,
    pub store: Option<At<'a, String>>,
    pub volumes: bool,
    /// The services whose resources it backs up.
    pub services: Vec<&'a str>,
}

fn at<'a, T>(own: &'a Option<Sp<T>>, own_path: String, dflt: &'a Sp<T>, dpath: &str) -> At<'a, T> {
    match own {
        Some(v) => At {
            value: v,
            path: own_path,
        },
        None => At {
            value: dflt,
            path: dpath.to_string(),
        },
    }
}

fn at_opt<'a, T>(
    own: &'a Option<Sp<T>>,
    own_path: String,
    dflt: &'a Option<Sp<T>>,
    dpath: &str,
) -> Option<At<'a, T>> {
    match (own, dflt) {
        (Some(v), _) => Some(At {
            value: v,
            path: own_path,
        }),
        (None, Some(v)) => Some(At {
            value: v,
            path: dpath.to_string(),
        }),
        (None, None) => None,
    }
}

/// Namespaces never backed up by a cluster-wide policy.
pub const UNBACKED_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

impl Lab {
    /// Every backup policy with the defaults applied, cluster policies first (by name), then
    /// services' own (by name). Services whose placement is not a cluster are skipped.
    pub fn backup_plans(&self) -> Vec<BackupPlan<'_>> {
        let d = &self.backups.defaults;
        let mut out = Vec::new();
        for (name, p) in &self.backups.policies {
            let base = &p.origin.path;
            let namespaces: Vec<&str> = p.namespaces.iter().map(|n| n.as_str()).collect();
            let agent_ns = self
                .backup_agent(p.cluster.as_str())
                .map(|(_, s)| s.namespace.as_str());
            let services = self
                .services
                .iter()
                .filter(|(_, s)| {
                    matches!(&s.placement, Placement::Cluster(c) if c.value == p.cluster.value)
                        && if namespaces.is_empty() {
                            !UNBACKED_NAMESPACES.contains(&s.namespace.as_str())
                                && Some(s.namespace.as_str()) != agent_ns
                        } else {
                            namespaces.contains(&s.namespace.as_str())
                        }
                })
                .map(|(n, _)| n.as_str())
                .collect();
            out.push(BackupPlan {
                name,
                path: base.clone(),
                origin: &p.origin,
                cluster: &p.cluster,
                namespaces,
                release: None,
                schedule: at(
                    &p.schedule,
                    format!("{base}.schedule"),
                    &d.schedule,
                    "backups.defaults.schedule",
                ),
                retention: at(
                    &p.retention,
                    format!("{base}.retention"),
                    &d.retention,
                    "backups.defaults.retention",
                ),
                store: at_opt(
                    &p.store,
                    format!("{base}.store"),
                    &d.store,
                    "backups.defaults.store",
                ),
                volumes: p.volumes.value,
                services,
            });
        }
        for (name, s) in &self.services {
            let (Some(b), Placement::Cluster(cluster)) = (&s.backup, &s.placement) else {
                continue;
            };
            if !b.enabled.value {
                continue;
            }
            let base = &b.origin.path;
            out.push(BackupPlan {
                name,
                path: base.clone(),
                origin: &b.origin,
                cluster,
                namespaces: vec![s.namespace.as_str()],
                release: Some(s.release.as_str()),
                schedule: at(
                    &b.schedule,
                    format!("{base}.schedule"),
                    &d.schedule,
                    "backups.defaults.schedule",
                ),
                retention: at(
                    &b.retention,
                    format!("{base}.retention"),
                    &d.retention,
                    "backups.defaults.retention",
                ),
                store: at_opt(
                    &b.store,
                    format!("{base}.store"),
                    &d.store,
                    "backups.defaults.store",
                ),
                volumes: true,
                services: vec![name],
            });
        }
        out
    }

    /// The lifecycle of a store in days: its own `lifecycle.days`, else the longest retention of
    /// the plans that use it, rounded up to days, plus one day (`None` when nothing uses it).
    pub fn store_lifecycle_days(&self, store: &str) -> Option<u64> {
        let s = self.backups.stores.get(store)?;
        if let Some(d) = &s.lifecycle_days {
            return Some(d.value.max(0) as u64);
        }
        self.backup_plans()
            .iter()
            .filter(|p| p.store.as_ref().is_some_and(|st| st.value.value == store))
            .map(|p| p.retention.value.value.days_ceil() + 1)
            .max()
    }
}

/// The Helm chart of the backup tool hlc renders schedules for.
pub const BACKUP_AGENT_CHART: &str = "velero";

impl Lab {
    /// The backup agent (a Velero release) of a cluster: the first service by name placed there
    /// whose chart is `velero`.
    pub fn backup_agent(&self, cluster: &str) -> Option<(&str, &crate::Service)> {
        self.services
            .iter()
            .find(|(_, s)| {
                matches!(&s.placement, Placement::Cluster(c) if c.value == cluster)
                    && s.chart
                        .as_ref()
                        .is_some_and(|c| c.name.value == BACKUP_AGENT_CHART)
            })
            .map(|(n, s)| (n.as_str(), s))
    }

    /// The services status checks watch: every `public` or `access` service with a hostname,
    /// by name.
    pub fn status_targets(&self) -> Vec<(&str, &crate::Service)> {
        self.services
            .iter()
            .filter(|(_, s)| {
                s.hostname.is_some()
                    && matches!(
                        s.exposure.value,
                        crate::Exposure::Public | crate::Exposure::Access
                    )
            })
            .map(|(n, s)| (n.as_str(), s))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

fn opt_str(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<String>> {
    r.opt(name).and_then(|(n, p)| d.string(n, &p))
}

fn opt_duration(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<Duration>> {
    r.opt(name)
        .and_then(|(n, p)| d.parse(n, &p, Duration::parse))
}

fn names(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Vec<Sp<String>> {
    match r.opt(name) {
        Some((n, p)) => d.list(n, &p, |d, n, p| d.string(n, p)),
        None => Vec::new(),
    }
}

fn origin(r: &Rec) -> Origin {
    Origin {
        path: r.path.clone(),
        span: r.span,
    }
}

/// `backups`.
pub(crate) fn decode_backups(d: &mut Decoder, n: &Node, p: &str) -> Option<Backups> {
    let mut r = d.record(n, p)?;
    let mut out = Backups::default();
    if let Some((n, p)) = r.opt("defaults") {
        if let Some(mut dr) = d.record(n, &p) {
            if let Some(s) = opt_str(d, &mut dr, "schedule") {
                out.defaults.schedule = s;
            }
            if let Some(x) = opt_duration(d, &mut dr, "retention") {
                out.defaults.retention = x;
            }
            out.defaults.store = opt_str(d, &mut dr, "store");
            dr.finish(d);
        }
    }
    if let Some((n, p)) = r.opt("stores") {
        out.stores = d.map(n, &p, |d, _k, v, p| decode_store(d, v, p));
    }
    if let Some((n, p)) = r.opt("policies") {
        out.policies = d.map(n, &p, |d, _k, v, p| {
            let mut r = d.record(v, p)?;
            let cluster = r.req(d, "cluster").and_then(|(n, p)| d.string(n, &p));
            let namespaces = names(d, &mut r, "namespaces");
            let schedule = opt_str(d, &mut r, "schedule");
            let retention = opt_duration(d, &mut r, "retention");
            let store = opt_str(d, &mut r, "store");
            let volumes = match r.opt("volumes") {
                Some((n, p)) => d.bool(n, &p),
                None => Some(Sp::new(true, r.span)),
            };
            let o = origin(&r);
            r.finish(d);
            Some(BackupPolicy {
                cluster: cluster?,
                namespaces,
                schedule,
                retention,
                store,
                volumes: volumes?,
                origin: o,
            })
        });
    }
    r.finish(d);
    Some(out)
}

fn decode_store(d: &mut Decoder, v: &Node, p: &str) -> Option<BackupStore> {
    let mut r = d.record(v, p)?;
    let kind = match r.opt("kind") {
        Some((n, p)) => d.tag(n, &p, &["oci", "s3"]).map(|t| {
            Sp::new(
                if t.value == "oci" {
                    StoreKind::Oci
                } else {
                    StoreKind::S3
                },
                t.span,
            )
        }),
        None => Some(Sp::new(StoreKind::Oci, r.span)),
    };
    let site = opt_str(d, &mut r, "site");
    let bucket = r.req(d, "bucket").and_then(|(n, p)| d.string(n, &p));
    let region = opt_str(d, &mut r, "region");
    let namespace = opt_str(d, &mut r, "namespace");
    let endpoint = opt_str(d, &mut r, "endpoint");
    let prefix = opt_str(d, &mut r, "prefix").unwrap_or(Sp::new("velero".into(), None));
    let credentials = r.opt("credentials").and_then(|(n, p)| {
        let mut c = d.record(n, &p)?;
        let secret = c.req(d, "secret").and_then(|(n, p)| d.string(n, &p));
        let key = opt_str(d, &mut c, "key").unwrap_or(Sp::new("cloud".to_string(), None));
        c.finish(d);
        Some((secret?, key))
    });
    let mut lifecycle_days = None;
    let mut lifecycle_prefixes = vec![Sp::new("backups/".to_string(), None)];
    if let Some((n, p)) = r.opt("lifecycle") {
        if let Some(mut l) = d.record(n, &p) {
            lifecycle_days = l
                .opt("days")
                .and_then(|(n, p)| d.int(n, &p, 1, 36_500, "lifecycle in days"));
            if let Some((n, p)) = l.opt("prefixes") {
                lifecycle_prefixes = d.list(n, &p, |d, n, p| d.string(n, p));
            }
            l.finish(d);
        }
    }
    let quota = r
        .opt("quota")
        .and_then(|(n, p)| d.parse(n, &p, Bytes::parse));
    if let Some(k) = kind.as_ref().filter(|k| k.value == StoreKind::Oci) {
        for (field, missing) in [
            ("region", region.is_none()),
            ("namespace", namespace.is_none()),
        ] {
            if missing && endpoint.is_none() {
                d.error(
                    "HLC102",
                    format!("missing field `{field}`: the S3 endpoint of an 'oci store is derived from its region and namespace"),
                    k.span.or(r.span),
                    &r.path,
                    &format!("add `{field} = \"…\"`, or give the whole `endpoint`"),
                );
            }
        }
    }
    if let (Some(k), None) = (&kind, &site) {
        if k.value == StoreKind::Oci {
            d.error(
                "HLC102",
                "missing field `site`: an 'oci store needs the OCI site whose Terraform creates its bucket".into(),
                r.span,
                &r.path,
                "add `site = \"<oci site name>\"`, or use `kind = 's3` for a bucket managed elsewhere",
            );
        }
    }
    let o = origin(&r);
    r.finish(d);
    Some(BackupStore {
        kind: kind?,
        site,
        bucket: bucket?,
        region,
        namespace,
        endpoint,
        prefix,
        credentials,
        lifecycle_days,
        lifecycle_prefixes,
        quota,
        origin: o,
    })
}

/// `services.<name>.backup`.
pub(crate) fn decode_service_backup(d: &mut Decoder, n: &Node, p: &str) -> Option<ServiceBackup> {
    let mut r = d.record(n, p)?;
    let enabled = match r.opt("enabled") {
        Some((n, p)) => d.bool(n, &p),
        None => Some(Sp::new(true, r.span)),
    };
    let schedule = opt_str(d, &mut r, "schedule");
    let retention = opt_duration(d, &mut r, "retention");
    let store = opt_str(d, &mut r, "store");
    let reason = opt_str(d, &mut r, "reason");
    let o = origin(&r);
    r.finish(d);
    Some(ServiceBackup {
        enabled: enabled?,
        schedule,
        retention,
        store,
        reason,
        origin: o,
    })
}

/// `services.<name>.health`.
pub(crate) fn decode_health(d: &mut Decoder, n: &Node, p: &str) -> Option<Health> {
    let mut r = d.record(n, p)?;
    let path = opt_str(d, &mut r, "path").unwrap_or(Sp::new("/".into(), r.span));
    if !path.starts_with('/') {
        d.error(
            "HLC102",
            format!("health path `{}` does not start with `/`", path.value),
            path.span,
            &r.path_of("path"),
            "write the path of the URL, e.g. \"/healthz\"",
        );
    }
    r.finish(d);
    Some(Health { path })
}

/// `monitoring`.
pub(crate) fn decode_monitoring(d: &mut Decoder, n: &Node, p: &str) -> Option<Monitoring> {
    let mut r = d.record(n, p)?;
    let mut out = Monitoring {
        checkers_path: format!("{p}.status.checkers"),
        ..Default::default()
    };
    if let Some((n, p)) = r.opt("receivers") {
        out.receivers = d.map(n, &p, |d, _k, v, p| {
            let mut r = d.record(v, p)?;
            let kind = match r.opt("kind") {
                Some((n, p)) => d.tag(n, &p, &["discord", "slack", "webhook"]),
                None => Some(Sp::new("webhook", r.span)),
            }
            .map(|t| {
                Sp::new(
                    match t.value {
                        "discord" => ReceiverKind::Discord,
                        "slack" => ReceiverKind::Slack,
                        _ => ReceiverKind::Webhook,
                    },
                    t.span,
                )
            });
            let url_secret = r.req(d, "url_secret").and_then(|(n, p)| d.string(n, &p));
            let severities = match r.opt("severities") {
                Some((n, p)) => d.list(n, &p, |d, n, p| {
                    d.tag(n, p, &["critical", "warning", "info"])
                }),
                None => vec![Sp::new("critical", r.span), Sp::new("warning", r.span)],
            };
            let o = origin(&r);
            r.finish(d);
            Some(Receiver {
                kind: kind?,
                url_secret: url_secret?,
                severities,
                origin: o,
            })
        });
    }
    if let Some((n, p)) = r.opt("status") {
        if let Some(mut s) = d.record(n, &p) {
            if let Some((n, p)) = s.opt("checkers") {
                out.checkers = d.map(n, &p, |d, _k, v, p| {
                    d.tag(v, p, &["blackbox", "uptime_kuma"]).map(|t| {
                        Sp::new(
                            if t.value == "blackbox" {
                                CheckerKind::Blackbox
                            } else {
                                CheckerKind::UptimeKuma
                            },
                            t.span,
                        )
                    })
                });
            }
            s.finish(d);
        }
    }
    r.finish(d);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("14d").unwrap().minutes, 14 * 24 * 60);
        assert_eq!(
            Duration::parse("336h").unwrap(),
            Duration::parse("2w").unwrap()
        );
        assert_eq!(Duration::parse("1d12h").unwrap().minutes, 36 * 60);
        assert_eq!(Duration::parse("720h").unwrap().go(), "720h0m0s");
        assert_eq!(Duration::parse("90m").unwrap().prometheus(), "90m");
        assert_eq!(Duration::parse("720h").unwrap().to_string(), "30d");
        assert_eq!(Duration::parse("2w").unwrap().to_string(), "14d");
        assert_eq!(Duration::parse("25h").unwrap().days_ceil(), 2);
        for bad in ["", "14", "d", "14x", "0d", "3y"] {
            let e = Duration::parse(bad).unwrap_err();
            assert_eq!(e.code, "HLC800", "{bad}");
        }
    }

    #[test]
    fn schedules() {
        let daily = Schedule::parse("0 3 * * *").unwrap();
        assert_eq!(daily.describe(), "every day at 03:00 UTC");
        assert_eq!(
            daily.cadence().unwrap().max_gap,
            Duration::parse("1d").unwrap()
        );
        let weekly = Schedule::parse("0 4 * * 0").unwrap();
        assert_eq!(weekly.describe(), "every Sunday at 04:00 UTC");
        assert_eq!(
            weekly.cadence().unwrap().max_gap,
            Duration::parse("7d").unwrap()
        );
        // Once in four years: valid, but no cadence to speak of.
        let leap = Schedule::parse("0 0 29 2 *").unwrap();
        assert!(leap.cadence().is_none());
        let monthly = Schedule::parse("@monthly").unwrap();
        assert_eq!(
            monthly.cadence().unwrap().max_gap,
            Duration::parse("31d").unwrap()
        );
        // Two runs a day, unevenly spaced: the longest gap counts.
        let uneven = Schedule::parse("0 1,5 * * *").unwrap();
        assert_eq!(
            uneven.cadence().unwrap().max_gap,
            Duration::parse("20h").unwrap()
        );
        assert!(Schedule::parse("0 3 * *").unwrap_err().contains("5 fields"));
        assert!(Schedule::parse("0 0 3 * * *").is_err());
        assert!(Schedule::parse("61 3 * * *").is_err());
        assert!(Schedule::parse("0 0 30 2 *").is_err());
    }
}
