//! Walking a document: encrypting and decrypting values, computing the MAC.

use sha2::{Digest, Sha256, Sha512};

use crate::cipher;
use crate::error::{Error, Result};
use crate::rules::CompiledRules;
use crate::scalar;
use crate::tree::{Entry, Map, Value};

/// Gives the IV for a value: (aad, type, plaintext) → 32 bytes.
pub(crate) type IvSource<'a> = dyn FnMut(&str, &str, &[u8]) -> [u8; cipher::IV_LEN] + 'a;

/// Records each decrypted value's (aad, type, plaintext) and IV.
pub(crate) type IvSink<'a> = dyn FnMut(&str, &str, &[u8], &[u8]) + 'a;

/// The plaintext bytes and `type:` of a leaf, as sops encrypts it and
/// feeds it to the MAC. `None` for null, collections and comments.
pub(crate) fn leaf_bytes(v: &Value) -> Option<(Vec<u8>, &'static str)> {
    Some(match v {
        Value::Str(s) => (s.as_bytes().to_vec(), "str"),
        Value::Int(i) => (i.to_string().into_bytes(), "int"),
        Value::Float(f) => (scalar::go_format_float_f(*f).into_bytes(), "float"),
        Value::Bool(b) => (
            (if *b { "True" } else { "False" }).as_bytes().to_vec(),
            "bool",
        ),
        Value::Time(t) => (t.as_bytes().to_vec(), "time"),
        Value::Bytes(b) => (b.clone(), "str"),
        Value::Null | Value::Map(_) | Value::Seq(_) | Value::Comment(_) => return None,
    })
}

fn typed_value(bytes: Vec<u8>, typ: &str) -> std::result::Result<Value, String> {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // A binary file's body may be any bytes.
        Err(e) if typ == "str" => return Ok(Value::Bytes(e.into_bytes())),
        Err(_) => return Err("plaintext is not UTF-8".to_string()),
    };
    Ok(match typ {
        "str" | "bytes" => Value::Str(text),
        "int" => Value::Int(text.parse().map_err(|_| "bad int plaintext".to_string())?),
        "float" => Value::Float(scalar::go_parse_float(&text).ok_or("bad float plaintext")?),
        "bool" => Value::Bool(scalar::go_parse_bool(&text).ok_or("bad bool plaintext")?),
        "time" => Value::Time(scalar::parse_timestamp(&text).ok_or("bad time plaintext")?),
        "comment" => Value::Comment(text),
        _ => return Err("unknown value type".to_string()),
    })
}

pub(crate) struct Walker<'a> {
    key: &'a [u8; 32],
    rules: &'a CompiledRules,
    mac_only: bool,
    mac: Sha512,
    path: Vec<String>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(key: &'a [u8; 32], rules: &'a CompiledRules, mac_only: bool) -> Self {
        let mut mac = Sha512::new();
        if mac_only {
            mac.update(Sha256::digest(b"sops"));
        }
        Walker {
            key,
            rules,
            mac_only,
            mac,
            path: Vec::new(),
        }
    }

    /// The MAC as sops writes it: upper-case hex of the SHA-512.
    pub(crate) fn mac_hex(self) -> String {
        self.mac
            .finalize()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    fn aad(&self) -> String {
        let mut s = self.path.join(":");
        s.push(':');
        s
    }

    fn path_string(&self) -> String {
        self.path.join(":")
    }

    fn seal(&self, ivs: &mut IvSource<'_>, plaintext: &[u8], typ: &str) -> String {
        let aad = self.aad();
        let iv = ivs(&aad, typ, plaintext);
        cipher::encrypt(self.key, &iv, aad.as_bytes(), plaintext, typ)
    }

    // ------------------------------------------------------------ encrypt

    pub(crate) fn encrypt_map(&mut self, map: &Map, ivs: &mut IvSource<'_>) -> Map {
        let mut out = Vec::with_capacity(map.0.len());
        for e in &map.0 {
            out.push(match e {
                Entry::Comment(t) if self.rules.encrypts(&self.path) => {
                    Entry::Comment(self.seal(ivs, t.as_bytes(), "comment"))
                }
                Entry::Comment(t) => Entry::Comment(t.clone()),
                Entry::Pair(k, v) => {
                    self.path.push(k.clone());
                    let v = self.encrypt_value(v, ivs);
                    self.path.pop();
                    Entry::Pair(k.clone(), v)
                }
            });
        }
        Map(out)
    }

    fn encrypt_value(&mut self, v: &Value, ivs: &mut IvSource<'_>) -> Value {
        match v {
            Value::Map(m) => Value::Map(self.encrypt_map(m, ivs)),
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Comment(t) if self.rules.encrypts(&self.path) => {
                            Value::Str(self.seal(ivs, t.as_bytes(), "comment"))
                        }
                        other => self.encrypt_value(other, ivs),
                    })
                    .collect(),
            ),
            leaf => {
                let Some((bytes, typ)) = leaf_bytes(leaf) else {
                    return leaf.clone();
                };
                let encrypt = self.rules.encrypts(&self.path);
                if encrypt || !self.mac_only {
                    self.mac.update(&bytes);
                }
                if encrypt && !bytes.is_empty() {
                    Value::Str(self.seal(ivs, &bytes, typ))
                } else {
                    leaf.clone()
                }
            }
        }
    }

    // ------------------------------------------------------------ decrypt

    fn open(&self, s: &str, sink: &mut IvSink<'_>) -> Result<(Vec<u8>, String)> {
        let v = cipher::parse(s).map_err(|reason| Error::MalformedValue {
            path: self.path_string(),
            reason,
        })?;
        let aad = self.aad();
        let pt =
            cipher::decrypt(self.key, &v, aad.as_bytes()).ok_or_else(|| Error::Authentication {
                path: self.path_string(),
            })?;
        sink(&aad, &v.typ, &pt, &v.iv);
        Ok((pt, v.typ))
    }

    fn open_typed(&self, s: &str, sink: &mut IvSink<'_>) -> Result<(Vec<u8>, Value)> {
        let (pt, typ) = self.open(s, sink)?;
        let v = typed_value(pt.clone(), &typ).map_err(|reason| Error::MalformedValue {
            path: self.path_string(),
            reason,
        })?;
        Ok((pt, v))
    }

    pub(crate) fn decrypt_map(&mut self, map: &Map, sink: &mut IvSink<'_>) -> Result<Map> {
        let mut out = Vec::with_capacity(map.0.len());
        for e in &map.0 {
            out.push(match e {
                Entry::Comment(t) if cipher::looks_encrypted(t) => {
                    match self.open_typed(t, sink)?.1 {
                        Value::Comment(c) => Entry::Comment(c),
                        _ => {
                            return Err(Error::MalformedValue {
                                path: self.path_string(),
                                reason: "encrypted comment without type:comment".into(),
                            })
                        }
                    }
                }
                Entry::Comment(t) => Entry::Comment(t.clone()),
                Entry::Pair(k, v) => {
                    self.path.push(k.clone());
                    let v = self.decrypt_value(v, sink)?;
                    self.path.pop();
                    Entry::Pair(k.clone(), v)
                }
            });
        }
        Ok(Map(out))
    }

    fn decrypt_value(&mut self, v: &Value, sink: &mut IvSink<'_>) -> Result<Value> {
        Ok(match v {
            Value::Map(m) => Value::Map(self.decrypt_map(m, sink)?),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(match item {
                        Value::Str(s)
                            if cipher::looks_encrypted(s) && s.ends_with(",type:comment]") =>
                        {
                            self.open_typed(s, sink)?.1
                        }
                        other => self.decrypt_value(other, sink)?,
                    });
                }
                Value::Seq(out)
            }
            Value::Null | Value::Comment(_) => v.clone(),
            leaf if self.rules.encrypts(&self.path) => match leaf {
                Value::Str(s) if s.is_empty() => leaf.clone(),
                Value::Str(s) if cipher::looks_encrypted(s) => {
                    let (pt, value) = self.open_typed(s, sink)?;
                    if matches!(value, Value::Comment(_)) {
                        return Err(Error::MalformedValue {
                            path: self.path_string(),
                            reason: "a comment where a value was expected".into(),
                        });
                    }
                    self.mac.update(&pt);
                    value
                }
                _ => {
                    return Err(Error::NotEncrypted {
                        path: self.path_string(),
                    })
                }
            },
            leaf => {
                if !self.mac_only {
                    if let Some((bytes, _)) = leaf_bytes(leaf) {
                        self.mac.update(&bytes);
                    }
                }
                leaf.clone()
            }
        })
    }
}

/// Whether an encrypted tree (no key) could be the encryption of `plain`
/// under `rules`: same keys, order and comments count, same cleartext
/// values, and for each encrypted value the same type and length. `false`
/// proves the plaintext changed; `true` proves nothing.
pub(crate) fn shape_matches(
    enc: &Map,
    plain: &Map,
    rules: &CompiledRules,
    path: &mut Vec<String>,
) -> bool {
    if enc.0.len() != plain.0.len() {
        return false;
    }
    enc.0.iter().zip(&plain.0).all(|(e, p)| match (e, p) {
        (Entry::Comment(e), Entry::Comment(p)) => comment_matches(e, p, rules.encrypts(path)),
        (Entry::Pair(ke, ve), Entry::Pair(kp, vp)) if ke == kp => {
            path.push(ke.clone());
            let ok = value_shape_matches(ve, vp, rules, path);
            path.pop();
            ok
        }
        _ => false,
    })
}

fn comment_matches(enc: &str, plain: &str, encrypted: bool) -> bool {
    if encrypted {
        cipher::parse(enc).is_ok_and(|v| v.typ == "comment" && v.data.len() == plain.len())
    } else {
        enc == plain
    }
}

fn value_shape_matches(
    enc: &Value,
    plain: &Value,
    rules: &CompiledRules,
    path: &mut Vec<String>,
) -> bool {
    match (enc, plain) {
        (Value::Map(e), Value::Map(p)) => shape_matches(e, p, rules, path),
        (Value::Seq(e), Value::Seq(p)) => {
            e.len() == p.len()
                && e.iter().zip(p).all(|(e, p)| match (e, p) {
                    (Value::Str(e), Value::Comment(p)) if rules.encrypts(path) => {
                        comment_matches(e, p, true)
                    }
                    (e, p) => value_shape_matches(e, p, rules, path),
                })
        }
        (e, p) => {
            let Some((bytes, typ)) = leaf_bytes(p) else {
                return e.same_as(p);
            };
            if rules.encrypts(path) && !bytes.is_empty() {
                matches!(e, Value::Str(s) if cipher::parse(s).is_ok_and(|v| v.typ == typ && v.data.len() == bytes.len()))
            } else {
                e.same_as(p)
            }
        }
    }
}
