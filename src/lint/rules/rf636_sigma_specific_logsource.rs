//! RF636 `sigma-specific-logsource`: A rule selects a Windows event id that a generic log source category covers.
//!
//! pySigma counterpart: SpecificInsteadOfGenericLogsourceIssue (specific_instead_of_generic_logsource).

#[allow(unused_imports)]
use super::prelude::*;

pub const RULE: LintRule = LintRule {
    code: "RF636",
    name: "sigma-specific-logsource",
    severity: Severity::Error,
    category: Category::Logsource,
    summary: "A rule selects a Windows event id that a generic log source category covers",
    explanation: "Sigma has generic log source categories (`process_creation`, `network_connection`, `registry_set`, ...) that backends map to Sysmon, Security or EDR events alike. A rule on `product: windows, service: sysmon` with `EventID: 1`, or on `service: security` with `EventID: 4688`, ties itself to one sensor. Use the generic category and drop the EventID.",
    fixable: false,
    default_enabled: true,
};

use super::sigma_common as sc;

const SYSMON: &[(i64, &str)] = &[
    (1, "process_creation"),
    (2, "file_change"),
    (3, "network_connection"),
    (4, "sysmon_status"),
    (5, "process_termination"),
    (6, "driver_load"),
    (7, "image_load"),
    (8, "create_remote_thread"),
    (9, "raw_access_thread"),
    (10, "process_access"),
    (11, "file_event"),
    (12, "registry_event"),
    (13, "registry_event"),
    (14, "registry_event"),
    (15, "create_stream_hash"),
    (16, "sysmon_status"),
    (17, "pipe_created"),
    (18, "pipe_created"),
    (19, "wmi_event"),
    (20, "wmi_event"),
    (21, "wmi_event"),
    (22, "dns_query"),
    (23, "file_delete"),
    (24, "clipboard_change"),
    (25, "process_tampering"),
    (26, "file_delete_detected"),
    (27, "file_block_executable"),
    (28, "file_block_shredding"),
    (29, "file_executable_detected"),
    (255, "sysmon_error"),
];
const SECURITY: &[(i64, &str)] = &[(4688, "process_creation")];

pub fn check(cx: &SigmaContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(ls) = &cx.rule.logsource else { return };
    let (_, product, service) = ls.triple();
    if product.as_deref() != Some("windows") {
        return;
    }
    let table = match service.as_deref() {
        Some("sysmon") => SYSMON,
        Some("security") => SECURITY,
        _ => return,
    };
    for (_, item) in sc::items(cx) {
        if item.field.as_deref() != Some("EventID") {
            continue;
        }
        for v in &item.values {
            if v.ty != VType::Num {
                continue;
            }
            let Ok(n) = v.raw.parse::<i64>() else {
                continue;
            };
            if let Some((_, cat)) = table.iter().find(|(id, _)| *id == n) {
                out.push(sc::diag(
                    cx,
                    &RULE,
                    v.span,
                    format!("EventID {n} of `service: {}` is covered by the generic log source `category: {cat}`: use it", service.as_deref().unwrap_or_default()),
                ));
            }
        }
    }
}
