//! Filesystem primitives: symlink-refusing path walks, atomic writes through temp files, the
//! advisory build lock, stale-temp clean-up, and the [`Fs`] seam through which every mutation
//! goes (so tests can inject a failure after any number of operations).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::OutError;
use crate::path::{is_temp_name, TEMP_MARKER};

/// Every mutating filesystem operation of `apply` goes through this trait.
pub(crate) trait Fs {
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Creates `path` exclusively (fails if it exists, never follows a link), writes `bytes`,
    /// and fsyncs the file.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Like [`Fs::write_new`] but without the fsync: artifacts are written in bulk and made
    /// durable together by one [`Fs::sync_filesystem`] before any of them is renamed into place.
    fn write_new_unsynced(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Makes every file written so far on the filesystem holding `path` durable (one
    /// `syncfs(2)` on Linux instead of one fsync per file, which dominated large builds).
    fn sync_filesystem(&self, path: &Path) -> io::Result<()>;
}

/// The real filesystem.
pub(crate) struct RealFs;

impl Fs for RealFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    fn write_new_unsynced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
        f.write_all(bytes)
    }

    fn sync_filesystem(&self, path: &Path) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let dir = File::open(path)?;
            // SAFETY: `syncfs` only reads the file descriptor, which is open for the call.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
        #[cfg(all(unix, not(target_os = "linux")))]
        {
            let _ = path;
            // SAFETY: `sync` takes no arguments and cannot fail.
            unsafe { libc::sync() };
            Ok(())
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            Ok(())
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        #[cfg(unix)]
        {
            File::open(path)?.sync_all()
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            Ok(())
        }
    }
}

/// Simulates a process killed after `budget` mutating operations: the operation that exceeds the
/// budget fails (a file write leaves a truncated temp file behind, as a kill mid-write would),
/// and every later operation fails too, so no clean-up happens.
pub(crate) struct FaultFs {
    remaining: std::cell::Cell<usize>,
}

impl FaultFs {
    pub(crate) fn new(budget: usize) -> Self {
        FaultFs {
            remaining: std::cell::Cell::new(budget),
        }
    }

    fn tick(&self) -> io::Result<()> {
        match self.remaining.get() {
            0 => Err(io::Error::other("injected fault (simulated crash)")),
            n => {
                self.remaining.set(n - 1);
                Ok(())
            }
        }
    }
}

impl Fs for FaultFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.create_dir(path)
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if self.remaining.get() == 0 {
            // Killed mid-write: a truncated temp file stays behind.
            let _ = RealFs.write_new(path, &bytes[..bytes.len() / 2]);
        }
        self.tick()?;
        RealFs.write_new(path, bytes)
    }

    fn write_new_unsynced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if self.remaining.get() == 0 {
            let _ = RealFs.write_new_unsynced(path, &bytes[..bytes.len() / 2]);
        }
        self.tick()?;
        RealFs.write_new_unsynced(path, bytes)
    }

    fn sync_filesystem(&self, path: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync_filesystem(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.remove_file(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.remove_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync_dir(path)
    }
}

/// What is at a path, without following a symbolic link there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    Missing,
    File,
    Dir,
    Symlink,
    Other,
}

pub(crate) fn node(path: &Path) -> Result<Node, OutError> {
    match fs::symlink_metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            Ok(if t.is_symlink() {
                Node::Symlink
            } else if t.is_file() {
                Node::File
            } else if t.is_dir() {
                Node::Dir
            } else {
                Node::Other
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Node::Missing),
        Err(e) => Err(OutError::io("inspecting", path, e)),
    }
}

/// The result of walking a relative path from `out/` one component at a time, never through a
/// link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Every ancestor is a real directory (or the walk reached a missing ancestor, in which case
    /// the final node is `Missing`); this is the final node.
    Reached(Node),
    /// This ancestor (relative path) is a symbolic link.
    Symlink(String),
    /// This ancestor (relative path) exists and is not a directory.
    NotADirectory(String, Node),
}

pub(crate) fn walk(out_dir: &Path, rel: &str) -> Result<Walk, OutError> {
    walk_known(out_dir, rel, &mut HashSet::new())
}

/// [`walk`], starting below the deepest ancestor of `rel` listed in `known`: directories
/// (relative paths) that an earlier walk of the same pass found to be real directories. Every
/// ancestor this walk finds to be a directory is added. Used where many paths are walked at
/// once under the build lock, so each directory is inspected once per pass instead of once per
/// file below it.
pub(crate) fn walk_known(
    out_dir: &Path,
    rel: &str,
    known: &mut HashSet<String>,
) -> Result<Walk, OutError> {
    let comps: Vec<&str> = rel.split('/').collect();
    // ends[i]: length of the prefix made of the first i + 1 components.
    let mut ends = Vec::with_capacity(comps.len());
    let mut done = 0usize;
    for (i, c) in comps.iter().enumerate() {
        done += c.len() + usize::from(i > 0);
        ends.push(done);
    }
    // An ancestor is only ever added once all of its own ancestors were directories.
    let skip = (0..comps.len().saturating_sub(1))
        .rev()
        .find(|&i| known.contains(&rel[..ends[i]]))
        .map_or(0, |i| i + 1);
    let mut p = out_dir.to_path_buf();
    for c in &comps[..skip] {
        p.push(c);
    }
    for i in skip..comps.len() {
        p.push(comps[i]);
        let n = node(&p)?;
        let last = i + 1 == comps.len();
        let at = &rel[..ends[i]];
        match n {
            Node::Symlink => return Ok(Walk::Symlink(at.to_string())),
            _ if last => return Ok(Walk::Reached(n)),
            Node::Dir => {
                known.insert(at.to_string());
            }
            Node::Missing => return Ok(Walk::Reached(Node::Missing)),
            Node::File | Node::Other => return Ok(Walk::NotADirectory(at.to_string(), n)),
        }
    }
    Ok(Walk::Reached(Node::Missing))
}

/// Reads a regular file, refusing to follow a link at `path` itself.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, OutError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| OutError::io("reading", path, e))?;
    let mut buf = Vec::new();
    io::Read::read_to_end(&mut f, &mut buf).map_err(|e| OutError::io("reading", path, e))?;
    Ok(buf)
}

/// A fresh temp name for `name`: `.<name>.hlc-tmp-<16 hex>`.
///
/// No system call per name: the suffix mixes a per-process seed (the process id and one random
/// value, read once) with a process-wide counter, so names never repeat within a process and
/// differ between processes; a clash with a leftover file is still possible in principle, which
/// is why the writers retry on `AlreadyExists`.
pub(crate) fn temp_name(name: &str) -> String {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish()
    });
    let s = format!(
        ".{name}{TEMP_MARKER}{:016x}",
        temp_suffix(seed, COUNTER.fetch_add(1, Ordering::Relaxed))
    );
    debug_assert!(is_temp_name(&s));
    s
}

/// The `n`th suffix for `seed`: a bijection of `n` for a fixed seed (splitmix64's finaliser), so
/// one process never produces the same name twice.
fn temp_suffix(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Writes `bytes` to `dir/name` atomically: a temp file in the same directory, fsynced, then
/// renamed over the target. The caller fsyncs `dir` afterwards. On failure the temp file is
/// removed when possible.
pub(crate) fn write_atomic(
    fs_: &dyn Fs,
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), OutError> {
    let target = dir.join(name);
    let mut attempt = 0;
    let tmp = loop {
        let tmp = dir.join(temp_name(name));
        match fs_.write_new(&tmp, bytes) {
            Ok(()) => break tmp,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => {
                let _ = fs_.remove_file(&tmp);
                return Err(OutError::io("writing", target, e));
            }
        }
    };
    if let Err(e) = fs_.rename(&tmp, &target) {
        let _ = fs_.remove_file(&tmp);
        return Err(OutError::io("renaming into place", target, e));
    }
    Ok(())
}

/// Writes `bytes` to a fresh temp file beside `dir/name`, without fsync; returns its path. The
/// caller syncs the filesystem, then renames it into place. On failure the temp file is removed
/// when possible.
pub(crate) fn write_temp(
    fs_: &dyn Fs,
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<PathBuf, OutError> {
    let mut attempt = 0;
    loop {
        let tmp = dir.join(temp_name(name));
        match fs_.write_new_unsynced(&tmp, bytes) {
            Ok(()) => return Ok(tmp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => {
                let _ = fs_.remove_file(&tmp);
                return Err(OutError::io("writing", dir.join(name), e));
            }
        }
    }
}

/// Removes every stale temp file (see [`is_temp_name`]) under `out_dir`, without following
/// links. Returns the removed paths.
pub(crate) fn clean_temps(fs_: &dyn Fs, out_dir: &Path) -> Result<Vec<PathBuf>, OutError> {
    let mut removed = Vec::new();
    let mut stack = vec![out_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(OutError::io("listing", dir, e)),
        };
        let mut entries = Vec::new();
        for e in rd {
            let e = e.map_err(|e| OutError::io("listing", &dir, e))?;
            let t = e
                .file_type()
                .map_err(|err| OutError::io("inspecting", e.path(), err))?;
            entries.push((e.path(), e.file_name(), t));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, name, t) in entries {
            if t.is_dir() {
                stack.push(path);
            } else if t.is_file() && name.to_str().is_some_and(is_temp_name) {
                fs_.remove_file(&path)
                    .map_err(|e| OutError::io("removing stale temp file", &path, e))?;
                removed.push(path);
            }
        }
    }
    removed.sort();
    Ok(removed)
}

/// An advisory lock on `out/`, released when dropped.
///
/// On unix it is a `flock` on the `out/` directory itself, so no lock file is left in the
/// committed tree. Elsewhere it is a lock on `out/.hlc-build.lock`.
#[derive(Debug)]
pub(crate) struct BuildLock {
    _file: File,
}

pub(crate) fn lock_out_dir(out_dir: &Path, exclusive: bool) -> Result<BuildLock, OutError> {
    #[cfg(unix)]
    let file = File::open(out_dir).map_err(|e| OutError::io("opening", out_dir, e))?;
    #[cfg(not(unix))]
    let file = {
        let p = out_dir.join(crate::path::BUILD_LOCK_FILE);
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(|e| OutError::io("opening", p, e))?
    };
    let r = if exclusive {
        file.lock()
    } else {
        file.lock_shared()
    };
    r.map_err(|e| OutError::io("locking", out_dir, e))?;
    Ok(BuildLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_never_repeat_within_a_process() {
        let names: Vec<String> = (0..20_000).map(|_| temp_name("values.yaml")).collect();
        for n in &names {
            assert!(is_temp_name(n), "{n}");
            assert!(n.starts_with(".values.yaml.hlc-tmp-"), "{n}");
        }
        let unique: HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn temp_suffixes_are_distinct_per_counter_and_depend_on_the_seed() {
        let a: HashSet<u64> = (0..100_000).map(|n| temp_suffix(7, n)).collect();
        assert_eq!(a.len(), 100_000);
        let clashes = (0..1_000)
            .filter(|&n| temp_suffix(7, n) == temp_suffix(8, n))
            .count();
        assert_eq!(clashes, 0);
        // Consecutive counters do not give neighbouring names.
        assert!(temp_suffix(7, 0).abs_diff(temp_suffix(7, 1)) > 1 << 32);
    }

    #[test]
    fn stale_temp_files_with_generated_names_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("docs");
        fs::create_dir(&dir).unwrap();
        let t = write_temp(&RealFs, &dir, "a.md", b"half").unwrap();
        assert_eq!(t.parent(), Some(dir.as_path()));
        fs::write(dir.join("a.md"), "kept\n").unwrap();
        let removed = clean_temps(&RealFs, tmp.path()).unwrap();
        assert_eq!(removed, vec![t]);
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("a.md")]);
    }

    #[test]
    fn walk_known_gives_what_walk_gives_and_skips_known_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let out = tmp.path();
        fs::create_dir_all(out.join("a/b/c")).unwrap();
        fs::write(out.join("a/b/c/f"), "f").unwrap();
        fs::write(out.join("a/file"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("a/b/link")).unwrap();
        let paths = [
            "a/b/c/f",
            "a/b/c/missing",
            "a/b/link/f",
            "a/b/link",
            "a/file/below",
            "a/none/deeper/f",
            "a/b",
            "top",
        ];
        let mut known = HashSet::new();
        for rel in paths {
            let fresh = walk(out, rel).unwrap();
            assert_eq!(walk_known(out, rel, &mut known).unwrap(), fresh, "{rel}");
            // Walking again with what was learnt gives the same answer.
            assert_eq!(walk_known(out, rel, &mut known).unwrap(), fresh, "{rel}");
        }
        let mut dirs: Vec<&str> = known.iter().map(String::as_str).collect();
        dirs.sort();
        assert_eq!(dirs, ["a", "a/b", "a/b/c"]);

        // A known directory is not inspected again within the pass; a fresh pass sees the link.
        fs::remove_file(out.join("a/b/c/f")).unwrap();
        fs::remove_dir(out.join("a/b/c")).unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("a/b/c")).unwrap();
        assert_eq!(
            walk_known(out, "a/b/c/f", &mut known).unwrap(),
            Walk::Reached(Node::Missing)
        );
        assert_eq!(walk(out, "a/b/c/f").unwrap(), Walk::Symlink("a/b/c".into()));
    }
}
