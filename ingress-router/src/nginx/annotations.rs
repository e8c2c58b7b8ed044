//! The annotations the ingress-nginx profile reads, parsed and validated as ingress-nginx's own
//! parsers do: a value they refuse is ignored with a warning (the Ingress is still served), and
//! an annotation ingress-nginx will not run makes it ignore the whole Ingress.

use std::sync::{Arc, LazyLock};

use ingress_model::Ingress;

use crate::nginx::NginxOptions;
use crate::nginx::canary::CanaryRules;

/// What one Ingress's annotations say, as ingress-nginx reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Annotations {
    /// `use-regex`: the host's locations become regexes.
    pub(crate) use_regex: bool,
    /// `rewrite-target`, when valid.
    pub(crate) rewrite_target: Option<Box<str>>,
    /// `app-root`, when valid.
    pub(crate) app_root: Option<Box<str>>,
    /// `ssl-redirect`, `force-ssl-redirect`, `preserve-trailing-slash`; `None` reads the
    /// controller's setting.
    pub(crate) ssl_redirect: Option<bool>,
    pub(crate) force_ssl_redirect: Option<bool>,
    pub(crate) preserve_trailing_slash: Option<bool>,
    /// `canary: "true"` (and its rules): a canary Ingress, which makes no server or location
    /// of its own.
    pub(crate) canary: Option<Arc<CanaryRules>>,
}

/// An annotation value ignored, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ignored {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) reason: String,
}

/// The parse of one Ingress's annotations.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub(crate) annotations: Annotations,
    /// Why ingress-nginx would ignore the whole Ingress, if it would.
    pub(crate) refused: Option<String>,
    /// Values ingress-nginx ignores.
    pub(crate) ignored: Vec<Ignored>,
}

/// Annotations of risk "Critical" (ingress-nginx's `annotations-risk.md`): with the default
/// `annotations-risk-level: High`, an Ingress carrying one is not served at all.
const CRITICAL: [&str; 5] = [
    "configuration-snippet",
    "server-snippet",
    "stream-snippet",
    "auth-snippet",
    "modsecurity-snippet",
];

/// What ingress-nginx's deep inspection (`--deep-inspect`, on by default) refuses in a path,
/// host or Secret name: nginx directives and files smuggled into the configuration.
static DEEP_INSPECT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?s)\s*alias\s*.*;|(?s)\s*root\s*.*;|/etc/(passwd|shadow|group|nginx|ingress-controller)|/var/run/secrets|.*_by_lua.*",
    )
    .expect("the deep-inspection pattern compiles")
});

/// Parses the annotations of `ingress` with the prefix of `options`.
pub(crate) fn parse(ingress: &Ingress, options: &NginxOptions) -> Parsed {
    let mut parsed = Parsed::default();
    let prefix = format!("{}/", options.annotation_prefix);
    let ours = |name: &str| format!("{prefix}{name}");
    let annotations = &ingress.metadata.annotations;
    if !options.accept_critical_annotations
        && let Some(key) = annotations.keys().find(|k| {
            k.strip_prefix(&prefix)
                .is_some_and(|name| CRITICAL.contains(&name))
        })
    {
        parsed.refused = Some(format!(
            "annotation {key} is of risk Critical, above the annotations-risk-level High: \
             ingress-nginx does not serve this Ingress"
        ));
        return parsed;
    }
    if options.deep_inspect
        && let Some(found) = deep_inspect(ingress)
    {
        parsed.refused = Some(format!(
            "ingress-nginx's deep inspection refuses {found:?}: it does not serve this Ingress"
        ));
        return parsed;
    }

    let mut reader = Reader {
        get: |name: &str| {
            let key = ours(name);
            annotations.get(&key).map(|v| (key, v.as_str()))
        },
        ignored: &mut parsed.ignored,
    };
    let a = &mut parsed.annotations;
    a.use_regex = reader.boolean("use-regex").unwrap_or(false);
    a.rewrite_target = reader.string("rewrite-target", rewrite_target);
    a.app_root = reader.string("app-root", app_root);
    a.ssl_redirect = reader.boolean("ssl-redirect");
    a.force_ssl_redirect = reader.boolean("force-ssl-redirect");
    a.preserve_trailing_slash = reader.boolean("preserve-trailing-slash");
    a.canary = CanaryRules::read(&mut reader).map(Arc::new);
    parsed
}

/// The first path, host or TLS name deep inspection refuses.
fn deep_inspect(ingress: &Ingress) -> Option<String> {
    let spec = &ingress.spec;
    let paths = spec
        .rules
        .iter()
        .flat_map(|r| r.http.iter().flat_map(|h| &h.paths))
        .map(|p| p.path());
    let hosts = spec.rules.iter().filter_map(|r| r.host());
    let tls = spec.tls.iter().flat_map(|t| {
        t.hosts
            .iter()
            .map(String::as_str)
            .chain(t.secret_name.as_deref())
    });
    paths
        .chain(hosts)
        .chain(tls)
        .find(|s| DEEP_INSPECT.is_match(s))
        .map(str::to_owned)
}

/// Reads annotation values the way ingress-nginx's parsers do, noting what they ignore.
pub(crate) struct Reader<'a, G> {
    get: G,
    ignored: &'a mut Vec<Ignored>,
}

impl<'v, G> Reader<'_, G>
where
    G: Fn(&str) -> Option<(String, &'v str)>,
{
    fn ignore(&mut self, key: String, value: &str, reason: impl Into<String>) {
        self.ignored.push(Ignored {
            key,
            value: value.to_owned(),
            reason: reason.into(),
        });
    }

    /// A boolean as Go's `strconv.ParseBool` reads it.
    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        let (key, value) = (self.get)(name)?;
        match value.trim() {
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
            _ => {
                self.ignore(key, value, "not a boolean");
                None
            }
        }
    }

    /// An integer as Go's `strconv.Atoi` reads it.
    pub(crate) fn integer(&mut self, name: &str) -> Option<i64> {
        let (key, value) = (self.get)(name)?;
        let digits = value.trim();
        let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
        match digits.parse::<i64>() {
            Ok(n) if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) => {
                Some(n)
            }
            _ => {
                self.ignore(key, value, "not an integer");
                None
            }
        }
    }

    /// Notes that annotation `name` is ignored for `reason`, whatever its value.
    pub(crate) fn note(&mut self, name: &str, reason: &str) {
        if let Some((key, value)) = (self.get)(name) {
            self.ignore(key, value, reason);
        }
    }

    /// A string, trimmed, that `check` accepts (it says why not otherwise).
    pub(crate) fn string(
        &mut self,
        name: &str,
        check: impl Fn(&str) -> Result<(), &'static str>,
    ) -> Option<Box<str>> {
        let (key, value) = (self.get)(name)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.ignore(key, value, "empty");
            return None;
        }
        match check(trimmed) {
            Ok(()) => Some(trimmed.into()),
            Err(why) => {
                self.ignore(key, value, why);
                None
            }
        }
    }
}

/// ingress-nginx's `RegexPathWithCapture`: `^/?[-._~a-zA-Z0-9/:$]*$`.
fn path_with_capture(value: &str) -> Result<(), &'static str> {
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/:$".contains(&b))
    {
        Ok(())
    } else {
        Err("only letters, digits and - . _ ~ / : $ are allowed")
    }
}

fn rewrite_target(value: &str) -> Result<(), &'static str> {
    path_with_capture(value)
}

/// `app-root`: a path with capture characters that is not an absolute URL (Go's
/// `url.ParseRequestURI` and `!IsAbs`), so a path starting with `/`.
fn app_root(value: &str) -> Result<(), &'static str> {
    path_with_capture(value)?;
    if value.starts_with('/') {
        Ok(())
    } else {
        Err("must be a path starting with /")
    }
}

/// ingress-nginx's `BasicCharsRegex` (`^[/-._~a-zA-Z0-9:]*$`), applied after removing spaces.
pub(crate) fn basic_chars(value: &str) -> Result<(), &'static str> {
    if value
        .bytes()
        .filter(|&b| b != b' ')
        .all(|b| b.is_ascii_alphanumeric() || b"/-._~:".contains(&b))
    {
        Ok(())
    } else {
        Err("only letters, digits and / - . _ ~ : are allowed")
    }
}

/// ingress-nginx's `IsValidRegex` character check (the pattern is compiled only when used).
pub(crate) fn regex_chars(value: &str) -> Result<(), &'static str> {
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || br"/-._~:^$[](){}*+?|&=\".contains(&b))
    {
        Ok(())
    } else {
        Err("a character outside those ingress-nginx allows in a pattern")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(annotations: &[(&str, &str)]) -> Ingress {
        let mut ing: Ingress = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "a", "namespace": "default"},
            "spec": {"rules": [{"host": "a.com", "http": {"paths": [
                {"path": "/x", "pathType": "Prefix",
                 "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}
        }))
        .unwrap();
        for (k, v) in annotations {
            ing.metadata
                .annotations
                .insert(format!("nginx.ingress.kubernetes.io/{k}"), (*v).to_owned());
        }
        ing
    }

    #[test]
    fn values_are_read_as_ingress_nginx_reads_them() {
        let p = parse(
            &ingress(&[
                ("use-regex", "True"),
                ("rewrite-target", " /$2 "),
                ("app-root", "/app"),
                ("ssl-redirect", "0"),
            ]),
            &NginxOptions::default(),
        );
        assert!(p.refused.is_none());
        assert!(p.ignored.is_empty(), "{:?}", p.ignored);
        let a = p.annotations;
        assert!(a.use_regex);
        assert_eq!(a.rewrite_target.as_deref(), Some("/$2"));
        assert_eq!(a.app_root.as_deref(), Some("/app"));
        assert_eq!(a.ssl_redirect, Some(false));
        assert_eq!(a.force_ssl_redirect, None);
    }

    #[test]
    fn refused_values_are_ignored_with_a_reason() {
        let p = parse(
            &ingress(&[
                ("use-regex", "yes"),
                ("rewrite-target", "/new?x=1"),
                ("app-root", "app"),
            ]),
            &NginxOptions::default(),
        );
        let keys: Vec<&str> = p.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "nginx.ingress.kubernetes.io/use-regex",
                "nginx.ingress.kubernetes.io/rewrite-target",
                "nginx.ingress.kubernetes.io/app-root"
            ]
        );
        assert_eq!(p.annotations, Annotations::default());
    }

    #[test]
    fn snippets_and_smuggled_directives_refuse_the_ingress() {
        let p = parse(
            &ingress(&[("configuration-snippet", "return 200;")]),
            &NginxOptions::default(),
        );
        assert!(p.refused.unwrap().contains("Critical"));
        let accepting = NginxOptions {
            accept_critical_annotations: true,
            ..NginxOptions::default()
        };
        let p = parse(
            &ingress(&[("configuration-snippet", "return 200;")]),
            &accepting,
        );
        assert!(p.refused.is_none());

        let mut ing = ingress(&[]);
        ing.spec.rules[0].http.as_mut().unwrap().paths[0].path = Some("/etc/nginx".into());
        assert!(
            parse(&ing, &NginxOptions::default())
                .refused
                .unwrap()
                .contains("/etc/nginx")
        );
    }

    #[test]
    fn another_prefix_reads_only_its_own_keys() {
        let options = NginxOptions {
            annotation_prefix: "example.com".into(),
            ..NginxOptions::default()
        };
        let mut ing = ingress(&[("use-regex", "true")]);
        assert!(!parse(&ing, &options).annotations.use_regex);
        ing.metadata
            .annotations
            .insert("example.com/use-regex".into(), "true".into());
        assert!(parse(&ing, &options).annotations.use_regex);
    }
}
