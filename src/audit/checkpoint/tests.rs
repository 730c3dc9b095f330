use super::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
}

#[test]
fn a_signed_checkpoint_verifies_and_any_change_breaks_it() {
    let s = Signer32::from_seed(&[7u8; 32]).expect("signer");
    let cp = s.sign(42, "ab".repeat(32).as_str(), t("2026-11-24 10:00:00"));
    assert_eq!(cp.at, "2026-11-24T10:00:00Z");
    assert!(signature_ok(&[s.public_key()], &cp));
    let mut seq = cp.clone();
    seq.seq = 41;
    let mut hash = cp.clone();
    hash.hash = "cd".repeat(32);
    let mut at = cp.clone();
    at.at = "2026-11-24T10:00:01Z".into();
    let mut sig = cp.clone();
    sig.signature = STANDARD.encode([0u8; 64]);
    let mut garbage = cp.clone();
    garbage.signature = "not base64!".into();
    for bad in [seq, hash, at, sig, garbage] {
        assert!(!signature_ok(&[s.public_key()], &bad), "{bad:?}");
    }
    let other = Signer32::from_seed(&[8u8; 32]).expect("signer");
    assert!(!signature_ok(&[other.public_key()], &cp));
    // A retired key still verifies its own checkpoints next to the current one.
    assert!(signature_ok(&[other.public_key(), s.public_key()], &cp));
    let b64 = s.public_key_base64();
    assert_eq!(parse_public_key(&b64), Some(s.public_key()));
    assert_eq!(parse_public_key("AAAA"), None);
    assert!(Signer32::from_seed(&[1u8; 31]).is_none());
}

#[test]
fn due_after_the_interval_or_the_event_count_and_only_when_the_chain_moved() {
    let p = Policy {
        interval: Duration::from_secs(300),
        every_events: 100,
    };
    let at = t("2026-11-24 10:00:00");
    assert!(!due(&p, None, 0, at), "empty chain");
    assert!(due(&p, None, 1, at), "first event");
    assert!(
        !due(&p, Some((10, at)), 10, t("2026-11-25 10:00:00")),
        "no new event"
    );
    assert!(!due(&p, Some((10, at)), 109, t("2026-11-24 10:04:59")));
    assert!(
        due(&p, Some((10, at)), 110, t("2026-11-24 10:04:59")),
        "count"
    );
    assert!(
        due(&p, Some((10, at)), 11, t("2026-11-24 10:05:00")),
        "interval"
    );
}

#[test]
fn the_sink_round_trips_and_a_damaged_line_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("sub").join("cp.jsonl");
    assert_eq!(read_sink(&path), Ok(vec![]));
    let s = Signer32::from_seed(&[7u8; 32]).expect("signer");
    let a = s.sign(1, "aa", t("2026-11-24 10:00:00"));
    let b = s.sign(2, "bb", t("2026-11-24 10:05:00"));
    append_to_sink(&path, &a).expect("a");
    append_to_sink(&path, &b).expect("b");
    assert_eq!(read_sink(&path), Ok(vec![a, b]));
    std::fs::write(&path, "{\"seq\":1}\n").expect("write");
    let e = read_sink(&path).expect_err("damaged");
    assert!(e.contains("line 1"), "{e}");
}
