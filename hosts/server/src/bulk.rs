//! The bulk-sender tier of the server host (SPEC.md 18.2): the operator's X.509 check built
//! from its options, and its revocations read from the data dir.

use crate::config::BulkOptions;
use crate::StartError;
use blindpost_bulk_x509::X509BulkCheck;
use std::collections::BTreeSet;
use std::path::Path;

/// The file, in the data dir, that lists the revoked domains (one a line; `#` starts a comment).
pub(crate) const REVOKED_FILE: &str = "bulk-revoked.txt";

/// The check the options describe, with the revocations of `data_dir`.
pub(crate) fn open(options: &BulkOptions, data_dir: &Path) -> Result<X509BulkCheck, StartError> {
    let pem = std::fs::read_to_string(&options.anchors).map_err(|e| {
        StartError::Config(format!("bulk anchors {}: {e}", options.anchors.display()))
    })?;
    let check = X509BulkCheck::from_pem(&pem, options.tiers.clone())
        .map_err(|e| StartError::Config(e.to_string()))?;
    reload_revocations(&check, data_dir).map_err(StartError::Config)?;
    Ok(check)
}

/// Makes the check's revoked domains those listed in `data_dir/bulk-revoked.txt` (none if the
/// file does not exist).
pub(crate) fn reload_revocations(check: &X509BulkCheck, data_dir: &Path) -> Result<(), String> {
    let path = data_dir.join(REVOKED_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let listed: BTreeSet<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    check.set_revoked(listed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use blindpost::bulk::{BulkRefusal, BulkSenderCheck};
    use blindpost::Time;
    use blindpost_bulk_x509::test_ca::TestCa;
    use std::collections::BTreeMap;

    #[test]
    fn a_domain_listed_in_the_revocation_file_is_refused_until_it_is_taken_out() {
        let dir = tempfile::tempdir().unwrap();
        let now = Time::from_unix_secs(1_800_000_000);
        let ca = TestCa::new("host", now, now + 3600).unwrap();
        let anchors = dir.path().join("anchors.pem");
        std::fs::write(&anchors, ca.anchor_pem()).unwrap();
        let options = BulkOptions {
            anchors,
            tiers: BTreeMap::from([("mail.example.com".to_owned(), 10)]),
        };
        let check = open(&options, dir.path()).unwrap();
        let proof = ca
            .issue("mail.example.com", now, now + 3600)
            .unwrap()
            .prove(&[1; 48])
            .unwrap();
        assert!(check.check(now, &[1; 48], &proof).is_ok());
        let revoked = dir.path().join(REVOKED_FILE);
        std::fs::write(&revoked, "# spam on 2027-01-20\nmail.example.com\n").unwrap();
        reload_revocations(&check, dir.path()).unwrap();
        assert_eq!(
            check.check(now, &[1; 48], &proof),
            Err(BulkRefusal::Revoked)
        );
        std::fs::write(&revoked, "").unwrap();
        reload_revocations(&check, dir.path()).unwrap();
        assert!(check.check(now, &[1; 48], &proof).is_ok());
        // Missing anchors: a configuration error at start, not a server without its tier.
        let missing = BulkOptions {
            anchors: dir.path().join("nowhere.pem"),
            tiers: BTreeMap::new(),
        };
        assert!(matches!(
            open(&missing, dir.path()),
            Err(StartError::Config(_))
        ));
    }
}
