//! Timing of a 1 MB YAML file with 10,000 values (ignored by default):
//!
//! ```text
//! cargo test --release -p hlc-sops --test bench -- --ignored --nocapture
//! ```

mod common;

use std::time::Instant;

use common::{identity, recipient, rng};
use hlc_sops::{
    decrypt, encrypt, reencrypt_if_changed, EncryptOptions, Format, LastModified, Outcome, Rules,
};

fn big_yaml() -> String {
    let mut s = String::new();
    for g in 0..100 {
        s.push_str(&format!("group_{g:03}:\n"));
        for k in 0..100 {
            s.push_str(&format!(
                "  key_{k:03}: \"{}\"\n",
                format!("value-{g:03}-{k:03}-").repeat(7)
            ));
        }
    }
    s
}

#[test]
#[ignore]
fn bench_1mb_10k_values() {
    let src = big_yaml();
    assert!(src.len() >= 1_000_000, "{}", src.len());
    let recipients = [recipient(1)];
    let rules = Rules::default();
    let lm = LastModified::from_unix_seconds(1_767_323_045);
    let opts = EncryptOptions {
        format: Format::Yaml,
        recipients: &recipients,
        rules: &rules,
        lastmodified: &lm,
    };
    let runs = 5;
    let (mut parse_t, mut enc_t, mut dec_t, mut keep_t) = (0f64, 0f64, 0f64, 0f64);
    let mut out = Vec::new();
    for i in 0..runs {
        let t = Instant::now();
        let doc = Format::Yaml.parse(src.as_bytes()).expect("parses");
        parse_t += t.elapsed().as_secs_f64();
        let t = Instant::now();
        out = encrypt(&doc, &opts, &mut rng(i)).expect("encrypts");
        enc_t += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let dec = decrypt(&out, Format::Yaml, &[identity(1)]).expect("decrypts");
        dec_t += t.elapsed().as_secs_f64();
        assert!(dec.document.same_as(&doc));
        let t = Instant::now();
        let kept = reencrypt_if_changed(Some(&out), &doc, &opts, &[identity(1)], &mut rng(99))
            .expect("ok");
        keep_t += t.elapsed().as_secs_f64();
        assert_eq!(kept.outcome, Outcome::Kept);
    }
    let ms = |x: f64| x * 1000.0 / runs as f64;
    eprintln!(
        "plaintext {} bytes, 10000 values, encrypted file {} bytes\n\
         parse plaintext {:.1} ms, encrypt (incl. emit) {:.1} ms, decrypt (incl. parse + MAC) {:.1} ms, \
         reencrypt_if_changed unchanged {:.1} ms  (mean of {runs})",
        src.len(),
        out.len(),
        ms(parse_t),
        ms(enc_t),
        ms(dec_t),
        ms(keep_t)
    );
}
