//! The workload and its accounting in process (`--store memory`): a few clients for a few
//! seconds must come out with every check at 0 and every line printed. The engines' runs are
//! the CI command (`--store postgres`, `--store redis-cluster`), which needs the engines.

use std::process::Command;

#[test]
fn in_process_run_checks_out() {
    let output = Command::new(env!("CARGO_BIN_EXE_blindpost-cluster"))
        .args(["--store", "memory", "--clients", "12", "--seconds", "6"])
        .output()
        .expect("the cluster binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let value = |name: &str| -> f64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no line {name} in\n{stdout}"))
    };
    for check in [
        "cluster.tokens_double_spent",
        "cluster.tokens_lost",
        "cluster.deliveries_lost",
        "cluster.errors_after_recovery",
    ] {
        assert_eq!(value(check), 0.0, "{check}\n{stdout}");
    }
    // The workload did something: messages went through and tokens were issued to everybody.
    assert!(value("cluster.messages_accepted") > 0.0, "{stdout}");
    assert_eq!(value("cluster.tokens_issued"), 60.0, "{stdout}");
    assert!(value("cluster.double_spends_tried") > 0.0, "{stdout}");
}
