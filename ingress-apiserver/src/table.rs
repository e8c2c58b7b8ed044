//! Server-side printing: `meta.k8s.io/v1` `Table` answers, which `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...`), so its default output has
//! the real columns (`kubectl get ingress`: NAME, CLASS, HOSTS, ADDRESS, PORTS, AGE).
//!
//! Ingress, Service and Deployment have their kind's columns; every other kind prints NAME
//! and AGE. Each row carries the object's metadata (or, with `includeObject=Object`, the
//! object; with `includeObject=None`, nothing), as `kubectl` needs for `-A` and sorting.

use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde_json::{Value, json};

use crate::registry::ResourceType;

/// Whether the client asked for a Table (it always offers plain JSON after it).
pub(crate) fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|media| media.contains("as=Table") && media.contains("g=meta.k8s.io"))
        })
}

/// What each row embeds, from the `includeObject` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub(crate) fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

type Cell = fn(&Value) -> Value;

fn columns(rt: &ResourceType) -> Vec<(&'static str, &'static str, Cell)> {
    let name: (&str, &str, Cell) = ("Name", "name", |o| str_at(o, "/metadata/name").into());
    let age: (&str, &str, Cell) = ("Age", "", |o| age(o).into());
    let mut cols = vec![name];
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("networking.k8s.io", "Ingress") => cols.extend([
            (
                "Class",
                "",
                (|o| or_none(str_at(o, "/spec/ingressClassName")).into()) as Cell,
            ),
            ("Hosts", "", |o| ingress_hosts(o).into()),
            ("Address", "", |o| ingress_address(o).into()),
            ("Ports", "", |o| {
                if o.pointer("/spec/tls")
                    .and_then(Value::as_array)
                    .is_some_and(|t| !t.is_empty())
                {
                    "80, 443"
                } else {
                    "80"
                }
                .into()
            }),
        ]),
        ("", "Service") => cols.extend([
            (
                "Type",
                "",
                (|o| {
                    {
                        let t = str_at(o, "/spec/type");
                        if t.is_empty() {
                            "ClusterIP".to_owned()
                        } else {
                            t
                        }
                    }
                    .into()
                }) as Cell,
            ),
            ("Cluster-IP", "", |o| {
                or_none(str_at(o, "/spec/clusterIP")).into()
            }),
            ("External-IP", "", |o| {
                or_none(join(o.pointer("/spec/externalIPs"), |v| {
                    v.as_str().map(str::to_owned)
                }))
                .into()
            }),
            ("Port(s)", "", |o| or_none(service_ports(o)).into()),
        ]),
        ("apps", "Deployment") => cols.extend([
            (
                "Ready",
                "",
                (|o| {
                    format!(
                        "{}/{}",
                        int_at(o, "/status/readyReplicas"),
                        o.pointer("/spec/replicas")
                            .and_then(Value::as_i64)
                            .unwrap_or(1)
                    )
                    .into()
                }) as Cell,
            ),
            ("Up-to-date", "", |o| {
                int_at(o, "/status/updatedReplicas").into()
            }),
            ("Available", "", |o| {
                int_at(o, "/status/availableReplicas").into()
            }),
        ]),
        _ => {}
    }
    cols.push(age);
    cols
}

fn str_at(object: &Value, pointer: &str) -> String {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn int_at(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".to_owned()
    } else {
        text
    }
}

fn join(list: Option<&Value>, item: impl Fn(&Value) -> Option<String>) -> String {
    list.and_then(Value::as_array)
        .map(|items| items.iter().filter_map(item).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

fn ingress_hosts(object: &Value) -> String {
    let hosts = join(object.pointer("/spec/rules"), |r| {
        r.get("host").and_then(Value::as_str).map(str::to_owned)
    });
    if hosts.is_empty() {
        "*".to_owned()
    } else {
        hosts
    }
}

fn ingress_address(object: &Value) -> String {
    join(object.pointer("/status/loadBalancer/ingress"), |lb| {
        lb.get("ip")
            .or_else(|| lb.get("hostname"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

fn service_ports(object: &Value) -> String {
    join(object.pointer("/spec/ports"), |p| {
        let port = p.get("port")?.as_i64()?;
        let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        Some(match p.get("nodePort").and_then(Value::as_i64) {
            Some(node) => format!("{port}:{node}/{protocol}"),
            None => format!("{port}/{protocol}"),
        })
    })
}

/// `creationTimestamp` to now, as the real server prints it (`45s`, `3m12s`, `5h`, `2d3h`).
fn age(object: &Value) -> String {
    let Some(created) = object
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
    else {
        return "<unknown>".to_owned();
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    human_duration(now.saturating_sub(created))
}

fn human_duration(secs: u64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => format!("{m}m{}s", s % 60),
        s if s < 3 * 3600 => format!("{m}m"),
        s if s < 8 * 3600 => format!("{h}h{}m", m % 60),
        s if s < 48 * 3600 => format!("{h}h"),
        s if s < 8 * 86_400 => format!("{d}d{}h", h % 24),
        s if s < 2 * 365 * 86_400 => format!("{d}d"),
        _ => format!("{}y", d / 365),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` to seconds since the Unix epoch.
fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (H. Hinnant), the inverse of `meta::rfc3339`'s calendar step.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

/// A Table of `objects`; `with_columns` false leaves the column definitions out (watch
/// events after the first).
pub(crate) fn table(
    rt: &ResourceType,
    objects: &[&Value],
    resource_version: Option<u64>,
    with_columns: bool,
    include: IncludeObject,
) -> Value {
    let cols = columns(rt);
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cols.iter().map(|(_, _, cell)| cell(o)).collect::<Vec<_>>()});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    row["object"] = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                        "metadata": o.get("metadata").cloned().unwrap_or_default()});
                }
                IncludeObject::Object => row["object"] = (*o).clone(),
            }
            row
        })
        .collect();
    let mut doc =
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "rows": rows});
    if let Some(rv) = resource_version {
        doc["metadata"]["resourceVersion"] = rv.to_string().into();
    }
    if with_columns {
        doc["columnDefinitions"] = cols
            .iter()
            .map(|(name, format, _)| json!({"name": name, "type": "string", "format": format, "description": "", "priority": 0}))
            .collect();
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn ingress_rows_have_the_kubectl_columns() {
        let rt = Registry::builtin()
            .by_kind("networking.k8s.io/v1", "Ingress")
            .cloned()
            .unwrap();
        let ing = json!({"metadata": {"name": "echo", "creationTimestamp": "2000-01-01T00:00:00Z"},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.example"}, {"host": "b.example"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.168.49.5"}]}}});
        let t = table(&rt, &[&ing], Some(7), true, IncludeObject::Metadata);
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Name", "Class", "Hosts", "Address", "Ports", "Age"]);
        let cells = t["rows"][0]["cells"].as_array().unwrap();
        assert_eq!(
            cells[..5],
            [
                json!("echo"),
                json!("nginx"),
                json!("a.example,b.example"),
                json!("192.168.49.5"),
                json!("80")
            ]
        );
        assert!(cells[5].as_str().unwrap().ends_with('y'));
        assert_eq!(t["rows"][0]["object"]["metadata"]["name"], "echo");
        assert_eq!(t["metadata"]["resourceVersion"], "7");
        assert!(
            table(&rt, &[&ing], None, false, IncludeObject::None)
                .get("columnDefinitions")
                .is_none()
        );
    }

    #[test]
    fn ages_and_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(
            parse_rfc3339(&crate::meta::rfc3339(1_735_689_599)),
            Some(1_735_689_599)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        let cases = [
            (5, "5s"),
            (130, "2m10s"),
            (1800, "30m"),
            (4 * 3600 + 120, "4h2m"),
            (30 * 3600, "30h"),
            (3 * 86_400 + 3600, "3d1h"),
            (100 * 86_400, "100d"),
            (800 * 86_400, "2y"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(secs), text);
        }
    }
}
