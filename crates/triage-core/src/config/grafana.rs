//! `triage config import-grafana`: Grafana's data sources, as its
//! provisioning files, kube-prometheus-stack values or its
//! `/api/datasources` JSON describe them, read into one triage context.
//!
//! A context holds one Loki, one Tempo and one Prometheus: the Tempo is
//! chosen first (the default one, else the first), then the Loki and the
//! Prometheus its links name. Each link becomes the matching triage
//! setting; a secret never becomes text in the config, only a reference to
//! an environment variable or a file; the rest is listed as not mapped.

use crate::correlate::DerivedField;
use crate::domain::labels::is_label_name;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use toml_edit::{Array, InlineTable, Item, Table, value};

/// One file given to the import: its name (for messages) and its text.
pub struct Source {
    pub name: String,
    pub text: String,
}

/// The context, and what the user is told about it.
#[derive(Debug)]
pub struct Imported {
    pub context: Table,
    /// What was mapped and what the user must do (set a variable...).
    pub notes: Vec<String>,
    /// What has no triage setting, or could not be read.
    pub unmapped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error(
        "{0}: no data sources found (expected Grafana provisioning `datasources:`, kube-prometheus-stack `grafana.additionalDataSources`, or /api/datasources JSON)"
    )]
    NoDatasources(String),
    #[error("no Loki, Tempo or Prometheus data source with a url among the files")]
    NothingToImport,
}

/// A data source as Grafana writes it; what triage does not read is kept
/// in `json_data.other` to be listed.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
struct Datasource {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    uid: Option<String>,
    url: Option<String>,
    basic_auth: bool,
    basic_auth_user: Option<String>,
    /// The old place of the password, before `secureJsonData`.
    basic_auth_password: Option<String>,
    is_default: bool,
    json_data: BTreeMap<String, Value>,
    secure_json_data: BTreeMap<String, String>,
    /// `/api/datasources` says which secrets are set, never their values.
    secure_json_fields: BTreeMap<String, bool>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
struct DerivedFieldLink {
    name: String,
    matcher_regex: String,
    matcher_type: Option<String>,
    url: String,
    datasource_uid: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
struct ExemplarDestination {
    name: String,
    datasource_uid: Option<String>,
    url: Option<String>,
}

/// `tracesToLogsV2`, `tracesToLogs` (v1) and `tracesToMetrics` alike.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
struct TraceLink {
    datasource_uid: Option<String>,
    span_start_time_shift: Option<String>,
    span_end_time_shift: Option<String>,
    tags: Vec<Tag>,
    /// v1: more tags, with a label name each.
    mapped_tags: Vec<Tag>,
    #[serde(rename = "filterByTraceID")]
    filter_by_trace_id: Option<bool>,
    #[serde(rename = "filterBySpanID")]
    filter_by_span_id: Option<bool>,
    custom_query: bool,
    query: Option<String>,
    queries: Vec<NamedQuery>,
}

/// A tag: `{ key, value }`, or (v1) the attribute's name alone.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Tag {
    Pair { key: String, value: Option<String> },
    Name(String),
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
struct NamedQuery {
    name: String,
    query: String,
}

/// Reads the files and builds the context `name`; `env` answers for the
/// environment variables the files name.
pub fn import(
    sources: &[Source],
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Imported, ImportError> {
    let mut out = Imported {
        context: Table::new(),
        notes: Vec::new(),
        unmapped: Vec::new(),
    };
    let mut all = Vec::new();
    for source in sources {
        all.extend(datasources(source, env, &mut out.unmapped)?);
    }
    let chosen = Chosen::pick(&all, &mut out.unmapped);
    if chosen.loki.is_none() && chosen.tempo.is_none() && chosen.prometheus.is_none() {
        return Err(ImportError::NothingToImport);
    }
    let mut writer = Writer {
        context: name,
        chosen: &chosen,
        out,
    };
    writer.backends();
    writer.derived_fields();
    writer.exemplars();
    writer.traces_to_logs();
    writer.traces_to_metrics();
    writer.service_map();
    writer.ignored();
    Ok(writer.out)
}

/// The config file's text with the context put in (replacing one of the
/// same name); the rest of the file, comments and all, as it was.
pub fn with_context(
    existing: &str,
    name: &str,
    mut context: Table,
    files: &[String],
) -> Result<String, ImportError> {
    let mut document: toml_edit::DocumentMut =
        existing
            .parse()
            .map_err(|e: toml_edit::TomlError| ImportError::Parse {
                file: "the config file".into(),
                message: e.message().to_owned(),
            })?;
    let contexts = document
        .entry("contexts")
        .or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        })
        .as_table_mut()
        .ok_or_else(|| ImportError::Parse {
            file: "the config file".into(),
            message: "`contexts` is not a table".into(),
        })?;
    context.decor_mut().set_prefix(format!(
        "\n# Imported from Grafana's data sources ({}) by `triage config import-grafana`.\n",
        files.join(", ")
    ));
    contexts.insert(name, Item::Table(context));
    Ok(document.to_string())
}

/// The data sources of one file, with `$VAR`s of provisioning files
/// expanded (secrets are not: they become references).
fn datasources(
    source: &Source,
    env: &dyn Fn(&str) -> Option<String>,
    unmapped: &mut Vec<String>,
) -> Result<Vec<Datasource>, ImportError> {
    let parse_error = |message: String| ImportError::Parse {
        file: source.name.clone(),
        message,
    };
    let document: Value =
        serde_saphyr::from_str(&source.text).map_err(|e| parse_error(e.to_string()))?;
    let (list, provisioning) = locate(&document);
    if list.is_empty() {
        return Err(ImportError::NoDatasources(source.name.clone()));
    }
    let mut found = Vec::new();
    for mut raw in list {
        if provisioning {
            expand_all(&mut raw, env, unmapped);
        }
        let datasource: Datasource =
            serde_json::from_value(raw).map_err(|e| parse_error(e.to_string()))?;
        found.push(datasource);
    }
    Ok(found)
}

/// Where the list is: a provisioning file's `datasources`, the Helm
/// values' `grafana.additionalDataSources` or `grafana.datasources.<file>`,
/// or the API's array (or one object). True for the forms Grafana
/// expands `$VAR` in.
fn locate(document: &Value) -> (Vec<Value>, bool) {
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    match document {
        Value::Array(items) => (items.clone(), false),
        Value::Object(map) if map.contains_key("type") => (vec![document.clone()], false),
        Value::Object(map) => {
            let grafana = map.get("grafana").unwrap_or(document);
            let mut found = list(map.get("datasources").filter(|v| v.is_array()));
            found.extend(list(grafana.get("additionalDataSources")));
            // The Grafana chart: `datasources: { "datasources.yaml": { datasources: [...] } }`.
            if let Some(files) = grafana.get("datasources").and_then(Value::as_object) {
                for file in files.values() {
                    found.extend(list(file.get("datasources")));
                }
            }
            (found, true)
        }
        _ => (Vec::new(), false),
    }
}

/// Grafana's expansion of a provisioning file: `$VAR`, `${VAR}` and
/// `$__env{VAR}` from the environment, `$$` for a dollar. Secrets are
/// left as written, and so are Grafana's own template variables
/// (`$__tags`, `${__value.raw}`): files write them unescaped, and no
/// environment names a variable so.
fn expand_all(raw: &mut Value, env: &dyn Fn(&str) -> Option<String>, unmapped: &mut Vec<String>) {
    match raw {
        Value::String(text) => match expand(text, env) {
            Ok(expanded) => *text = expanded,
            Err(variable) => {
                unmapped.push(format!(
                    "{text:?}: ${variable} is not set here, so it was left as written"
                ));
            }
        },
        Value::Array(items) => items.iter_mut().for_each(|v| expand_all(v, env, unmapped)),
        Value::Object(map) => map
            .iter_mut()
            .filter(|(key, _)| *key != "secureJsonData")
            .for_each(|(_, v)| expand_all(v, env, unmapped)),
        _ => {}
    }
}

/// The text with its variables replaced, or the first one not set.
fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some((variable, after)) = variable_at(rest) else {
            out.push('$');
            continue;
        };
        out.push_str(&env(variable).ok_or_else(|| variable.to_owned())?);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// `VAR`, `{VAR}` or `__env{VAR}` at the start of `text` (after a `$`),
/// and what follows it.
fn variable_at(text: &str) -> Option<(&str, &str)> {
    fn braced(t: &str) -> Option<(&str, &str)> {
        let end = t.find('}')?;
        Some((&t[1..end], &t[end + 1..]))
    }
    if let Some(inner) = text.strip_prefix("__env") {
        return inner.starts_with('{').then(|| braced(inner)).flatten();
    }
    if text.starts_with('{') {
        return braced(text).filter(|(name, _)| !name.starts_with("__"));
    }
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0 && !text.starts_with("__")).then(|| text.split_at(end))
}

/// Where a secret is, as the file says it.
#[derive(Debug, PartialEq, Eq)]
enum SecretRef {
    Env(String),
    File(String),
    /// Written in the file itself, or (from the API) set but not shown.
    Hidden,
}

fn secret_ref(raw: &str) -> SecretRef {
    let raw = raw.trim();
    if let Some(path) = raw
        .strip_prefix("$__file{")
        .and_then(|r| r.strip_suffix('}'))
    {
        return SecretRef::File(path.to_owned());
    }
    match raw.strip_prefix('$').and_then(variable_at) {
        Some((variable, "")) => SecretRef::Env(variable.to_owned()),
        _ => SecretRef::Hidden,
    }
}

/// The three data sources a context takes.
struct Chosen<'a> {
    loki: Option<&'a Datasource>,
    tempo: Option<&'a Datasource>,
    prometheus: Option<&'a Datasource>,
    all: &'a [Datasource],
}

impl<'a> Chosen<'a> {
    fn pick(all: &'a [Datasource], unmapped: &mut Vec<String>) -> Self {
        let of = |kind: &'static str| {
            all.iter()
                .filter(move |d| d.kind == kind && d.url.is_some())
        };
        let linked = |link: &str| {
            let tempo = first_default(of("tempo"))?;
            let uid = trace_link(tempo, link).and_then(|l| l.datasource_uid)?;
            all.iter().find(|d| d.uid.as_deref() == Some(&uid))
        };
        let tempo = first_default(of("tempo"));
        let loki = linked("tracesToLogsV2")
            .or_else(|| linked("tracesToLogs"))
            .filter(|d| d.kind == "loki")
            .or_else(|| first_default(of("loki")));
        let prometheus = linked("tracesToMetrics")
            .or_else(|| linked("serviceMap"))
            .filter(|d| d.kind == "prometheus")
            .or_else(|| first_default(of("prometheus")));
        let chosen = Chosen {
            loki,
            tempo,
            prometheus,
            all,
        };
        for d in all {
            if !chosen.is_chosen(d) {
                unmapped.push(chosen.why_not(d));
            }
        }
        chosen
    }

    fn is_chosen(&self, d: &Datasource) -> bool {
        [self.loki, self.tempo, self.prometheus]
            .into_iter()
            .flatten()
            .any(|c| std::ptr::eq(c, d))
    }

    fn why_not(&self, d: &Datasource) -> String {
        let name = &d.name;
        match d.kind.as_str() {
            "loki" | "tempo" | "prometheus" if d.url.is_none() => {
                format!("{} {name:?}: it has no url", title(&d.kind))
            }
            kind @ ("loki" | "tempo" | "prometheus") => {
                let taken = match kind {
                    "loki" => self.loki,
                    "tempo" => self.tempo,
                    _ => self.prometheus,
                };
                format!(
                    "{} {name:?}: a context holds one {}, and this one took {:?}",
                    title(kind),
                    title(kind),
                    taken.map_or("", |t| t.name.as_str())
                )
            }
            "alertmanager" => {
                format!("Alertmanager {name:?}: triage reads alerts from Prometheus's rules")
            }
            kind => format!("{name:?}: a {kind} data source, which triage does not read"),
        }
    }

    /// The name of the data source with this uid, if the files have it.
    fn named(&self, uid: &str) -> Option<&'a Datasource> {
        self.all.iter().find(|d| d.uid.as_deref() == Some(uid))
    }
}

/// The default one, else the first.
fn first_default<'a>(
    mut all: impl Iterator<Item = &'a Datasource> + Clone,
) -> Option<&'a Datasource> {
    all.clone().find(|d| d.is_default).or_else(|| all.next())
}

fn trace_link(d: &Datasource, key: &str) -> Option<TraceLink> {
    serde_json::from_value(d.json_data.get(key)?.clone()).ok()
}

fn title(kind: &str) -> &'static str {
    match kind {
        "loki" => "Loki",
        "tempo" => "Tempo",
        "prometheus" => "Prometheus",
        _ => "data source",
    }
}

/// The jsonData keys read here; others are Grafana's own display settings.
const READ: [&str; 12] = [
    "derivedFields",
    "exemplarTraceIdDestinations",
    "tracesToLogsV2",
    "tracesToLogs",
    "tracesToMetrics",
    "serviceMap",
    "tlsSkipVerify",
    "tlsAuth",
    "tlsAuthWithCACert",
    "httpHeaderName1",
    "tracesToProfiles",
    "lokiSearch",
];

struct Writer<'a> {
    context: &'a str,
    chosen: &'a Chosen<'a>,
    out: Imported,
}

impl Writer<'_> {
    fn note(&mut self, text: String) {
        self.out.notes.push(text);
    }

    fn unmapped(&mut self, text: String) {
        self.out.unmapped.push(text);
    }

    fn backends(&mut self) {
        let chosen = self.chosen;
        for (key, d) in [
            ("loki", chosen.loki),
            ("tempo", chosen.tempo),
            ("prometheus", chosen.prometheus),
        ] {
            if let Some(d) = d {
                let table = self.backend(key, d);
                self.out.context.insert(key, Item::Table(table));
            }
        }
    }

    /// url, credentials, tenant and TLS of one data source.
    fn backend(&mut self, key: &str, d: &Datasource) -> Table {
        let what = format!("{} {:?}", title(&d.kind), d.name);
        let mut table = Table::new();
        table.insert(
            "url",
            value(self.url(&what, d.url.as_deref().unwrap_or_default())),
        );
        if d.basic_auth {
            let user = d.basic_auth_user.clone().unwrap_or_default();
            let mut basic = InlineTable::new();
            basic.insert("user", user.into());
            let field = "basicAuthPassword";
            let raw = d
                .secure_json_data
                .get(field)
                .or(d.basic_auth_password.as_ref());
            let found = (raw.map(String::as_str), d.is_set(field));
            let (setting, place) = self.secret(&what, key, found, "password");
            basic.insert(setting, place.into());
            table.insert("basic", value(basic));
        }
        self.headers(&what, key, d, &mut table);
        self.tls(&what, d, &mut table);
        table
    }

    /// The url, without a password written in it.
    fn url(&mut self, what: &str, url: &str) -> String {
        let Ok(mut parsed) = reqwest::Url::parse(url) else {
            return url.to_owned();
        };
        if parsed.password().is_some() {
            let _ = parsed.set_password(None);
            self.note(format!(
                "{what}: the url held a password, which was left out; give it as basic = {{ user, password_env }}"
            ));
        }
        parsed.to_string().trim_end_matches('/').to_owned()
    }

    /// Where a secret will be read from, as the setting's suffix and its
    /// place (`("password_env", "LOKI_PASSWORD")`); never the secret
    /// itself. `kind` is `password` or `token`. Notes say what the user
    /// must do.
    fn secret(
        &mut self,
        what: &str,
        key: &str,
        (raw, set_in_grafana): (Option<&str>, bool),
        kind: &str,
    ) -> (String, String) {
        match raw.map_or(SecretRef::Hidden, secret_ref) {
            SecretRef::Env(var) => {
                self.note(format!(
                    "{what}: the {kind} is read from ${var}, as Grafana read it: set it where triage runs"
                ));
                (format!("{kind}_env"), var)
            }
            SecretRef::File(path) => {
                self.note(format!("{what}: the {kind} is read from {path}"));
                (format!("{kind}_file"), path)
            }
            SecretRef::Hidden => {
                let var = env_name(&format!("triage_{}_{key}_{kind}", self.context));
                let why = match (raw, set_in_grafana) {
                    (Some(_), _) => "the file holds it in clear, and it was not copied",
                    (None, true) => "Grafana does not give secrets out",
                    (None, false) => "the file does not give it",
                };
                self.note(format!("{what}: the {kind}: {why}; put it in ${var}"));
                (format!("{kind}_env"), var)
            }
        }
    }

    /// `httpHeaderNameN`: the tenant, a bearer token; others listed.
    fn headers(&mut self, what: &str, key: &str, d: &Datasource, table: &mut Table) {
        for n in 1.. {
            let Some(name) = d
                .json_data
                .get(&format!("httpHeaderName{n}"))
                .and_then(Value::as_str)
            else {
                break;
            };
            let field = format!("httpHeaderValue{n}");
            let raw = d.secure_json_data.get(&field).map(String::as_str);
            match name.to_ascii_lowercase().as_str() {
                // A tenant is not a credential: triage shows it.
                "x-scope-orgid" => match raw.filter(|r| secret_ref(r) == SecretRef::Hidden) {
                    Some(tenant) => {
                        table.insert("tenant", value(tenant.trim()));
                        self.note(format!(
                            "{what}: the X-Scope-OrgID header became tenant = {:?}",
                            tenant.trim()
                        ));
                    }
                    None => self.unmapped(format!(
                        "{what}: the tenant (X-Scope-OrgID) is not written in the file: set tenant = \"...\" by hand"
                    )),
                },
                "authorization" if raw.is_some_and(|r| r.trim().to_ascii_lowercase().starts_with("basic ")) => {
                    self.unmapped(format!(
                        "{what}: an Authorization: Basic header, not copied; give basic = {{ user, password_env }} instead"
                    ));
                }
                "authorization" => {
                    let token = raw.map(|r| strip_bearer(r.trim()));
                    let found = (token, d.is_set(&field));
                    let (setting, place) = self.secret(what, key, found, "token");
                    let mut bearer = InlineTable::new();
                    bearer.insert(setting, place.into());
                    table.insert("bearer", value(bearer));
                    self.note(format!(
                        "{what}: the Authorization header became a bearer token, without its \"Bearer \" (triage adds it)"
                    ));
                }
                _ => self.unmapped(format!(
                    "{what}: header {name}: its value is secret in Grafana and triage's headers are plain config; not copied"
                )),
            }
        }
    }

    fn tls(&mut self, what: &str, d: &Datasource, table: &mut Table) {
        let mut tls = InlineTable::new();
        if d.json_data.get("tlsSkipVerify").and_then(Value::as_bool) == Some(true) {
            tls.insert("insecure_skip_verify", true.into());
            self.note(format!(
                "{what}: TLS verification is off, as in Grafana; triage warns of it while it runs"
            ));
        }
        for (field, setting) in [
            ("tlsCACert", "ca_file"),
            ("tlsClientCert", "client_cert"),
            ("tlsClientKey", "client_key"),
        ] {
            match d.secure_json_data.get(field).map(|r| secret_ref(r)) {
                Some(SecretRef::File(path)) => {
                    tls.insert(setting, path.into());
                }
                Some(_) => self.unmapped(format!(
                    "{what}: {field} is PEM text in the file; write it to a file and set tls.{setting}"
                )),
                None if d.is_set(field) => self.unmapped(format!(
                    "{what}: {field} is set in Grafana, which does not give it out; set tls.{setting} to a file"
                )),
                None => {}
            }
        }
        if !tls.is_empty() {
            table.insert("tls", value(tls));
        }
    }

    /// Loki's derived fields that open a trace become rules of the context.
    fn derived_fields(&mut self) {
        let Some(loki) = self.chosen.loki else { return };
        let links: Vec<DerivedFieldLink> = loki
            .json_data
            .get("derivedFields")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let mut rules = toml_edit::ArrayOfTables::new();
        for link in links {
            let target = link
                .datasource_uid
                .as_deref()
                .and_then(|uid| self.chosen.named(uid));
            let what = format!("derived field {:?}", link.name);
            match target {
                Some(t) if t.kind == "tempo" => {}
                Some(t) => {
                    self.unmapped(format!(
                        "{what}: it opens {} {:?}; triage's derived fields open traces",
                        title(&t.kind),
                        t.name
                    ));
                    continue;
                }
                None if link.datasource_uid.is_some() => {
                    self.unmapped(format!("{what}: it names a data source not in these files"));
                    continue;
                }
                None => {
                    self.unmapped(format!(
                        "{what}: a link to {:?}; triage opens traces, not web pages",
                        link.url
                    ));
                    continue;
                }
            }
            let mut rule = Table::new();
            rule.insert("name", value(&link.name));
            if link.matcher_type.as_deref() == Some("label") {
                rule.insert("label", value(&link.matcher_regex));
            } else {
                match rule_regex(&link) {
                    Ok(regex) => {
                        rule.insert("regex", value(regex));
                    }
                    Err(why) => {
                        self.unmapped(format!("{what}: {why}"));
                        continue;
                    }
                }
            }
            if !link.url.is_empty() && !link.url.contains("__value.raw") {
                self.note(format!(
                    "{what}: Grafana's query {:?} is not used; triage opens the trace by its id",
                    link.url
                ));
            }
            rules.push(rule);
        }
        if !rules.is_empty() {
            self.note(format!(
                "{} derived field(s) find trace ids in Loki's lines, before triage's own rules",
                rules.len()
            ));
            self.out
                .context
                .insert("derived_fields", Item::ArrayOfTables(rules));
        }
    }

    /// Prometheus's exemplar destination that opens Tempo: its label.
    fn exemplars(&mut self) {
        let Some(prometheus) = self.chosen.prometheus else { return };
        let destinations: Vec<ExemplarDestination> = prometheus
            .json_data
            .get("exemplarTraceIdDestinations")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let mut taken = false;
        for destination in destinations {
            let internal = destination.datasource_uid.is_some() && destination.url.is_none();
            if internal && !taken {
                self.out
                    .context
                    .insert("exemplar_trace_label", value(&destination.name));
                taken = true;
            } else if internal {
                self.unmapped(format!(
                    "exemplar label {:?}: triage reads one exemplar label",
                    destination.name
                ));
            } else {
                self.unmapped(format!(
                    "exemplar label {:?}: a link to {:?}; triage opens traces in Tempo",
                    destination.name,
                    destination.url.unwrap_or_default()
                ));
            }
        }
    }

    fn traces_to_logs(&mut self) {
        let Some(tempo) = self.chosen.tempo else { return };
        let (link, key) = match trace_link(tempo, "tracesToLogsV2") {
            Some(link) => (link, "tracesToLogsV2"),
            None => match trace_link(tempo, "tracesToLogs") {
                Some(link) => (link, "tracesToLogs"),
                None => return,
            },
        };
        if !self.links_to(&link, self.chosen.loki, key) {
            return;
        }
        let mut table = Table::new();
        self.tags(&link, key, "Loki", &mut table);
        self.shifts(&link, key, &mut table);
        if let Some(on) = link.filter_by_trace_id {
            table.insert("filter_by_trace_id", value(on));
        }
        if let Some(on) = link.filter_by_span_id {
            table.insert("filter_by_span_id", value(on));
        }
        if link.custom_query {
            self.unmapped(format!(
                "{key}: the custom query {:?}; triage builds the query from the tags",
                link.query.unwrap_or_default()
            ));
        }
        self.out
            .context
            .insert("traces_to_logs", Item::Table(table));
    }

    fn traces_to_metrics(&mut self) {
        let key = "tracesToMetrics";
        let Some(link) = self.chosen.tempo.and_then(|t| trace_link(t, key)) else { return };
        if !self.links_to(&link, self.chosen.prometheus, key) {
            return;
        }
        let mut table = Table::new();
        self.tags(&link, key, "Prometheus", &mut table);
        self.shifts(&link, key, &mut table);
        let mut queries = Array::new();
        for query in &link.queries {
            let mut pair = InlineTable::new();
            pair.insert("name", query.name.as_str().into());
            pair.insert("query", query.query.as_str().into());
            queries.push(pair);
        }
        if queries.is_empty() {
            self.note(format!("{key} has no queries: triage's own (the span's calls and p95 latency from Tempo's span metrics) are used"));
        } else {
            table.insert("queries", value(queries));
        }
        self.out
            .context
            .insert("traces_to_metrics", Item::Table(table));
    }

    /// Whether a link names the data source the context took; if not, says so.
    fn links_to(&mut self, link: &TraceLink, taken: Option<&Datasource>, key: &str) -> bool {
        match (&link.datasource_uid, taken) {
            (Some(uid), Some(d)) if d.uid.as_deref() == Some(uid) => true,
            (None, Some(_)) => true,
            (uid, _) => {
                self.unmapped(format!(
                    "{key}: it names {:?}, which is not the context's {}",
                    uid.as_deref().unwrap_or("no data source"),
                    if key == "tracesToMetrics" {
                        "Prometheus"
                    } else {
                        "Loki"
                    }
                ));
                false
            }
        }
    }

    /// `tags` as attribute -> label; labels made valid.
    fn tags(&mut self, link: &TraceLink, key: &str, backend: &str, table: &mut Table) {
        let mut tags = InlineTable::new();
        for tag in link.tags.iter().chain(&link.mapped_tags) {
            let (attribute, label) = match tag {
                Tag::Pair { key, value } => (
                    key,
                    value.as_deref().filter(|v| !v.is_empty()).unwrap_or(key),
                ),
                Tag::Name(name) => (name, name.as_str()),
            };
            let valid: String = label
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if valid != label {
                self.note(format!("{key}: {attribute:?} is matched as the {backend} label {valid:?} ({label:?} is not a label name)"));
            }
            if is_label_name(&valid) && tags.iter().all(|(_, v)| v.as_str() != Some(&valid)) {
                tags.insert(attribute, valid.into());
            }
        }
        if tags.is_empty() {
            self.note(format!("{key} names no tags: triage's defaults are used"));
        } else {
            table.insert("tags", value(tags));
        }
    }

    /// Grafana's signed shifts: the start's is negative to open earlier.
    fn shifts(&mut self, link: &TraceLink, key: &str, table: &mut Table) {
        for (shift, setting) in [
            (&link.span_start_time_shift, "start_shift"),
            (&link.span_end_time_shift, "end_shift"),
        ] {
            let Some(text) = shift.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            let unsigned = text.trim_start_matches(['-', '+']);
            if crate::domain::time::parse_duration(unsigned).is_none() {
                self.unmapped(format!("{key}: {setting} {text:?} is not a duration"));
                continue;
            }
            let later_start = setting == "start_shift" && !text.starts_with('-') && unsigned != "0";
            let earlier_end = setting == "end_shift" && text.starts_with('-');
            if later_start || earlier_end {
                self.note(format!("{key}: {setting} {text:?} would narrow the window; triage widens it by {unsigned}"));
            }
            table.insert(setting, value(unsigned));
        }
    }

    fn service_map(&mut self) {
        let Some(link) = self.chosen.tempo.and_then(|t| trace_link(t, "serviceMap")) else {
            return;
        };
        let same = link.datasource_uid.is_some()
            && link.datasource_uid.as_deref()
                == self.chosen.prometheus.and_then(|p| p.uid.as_deref());
        if same {
            self.note("serviceMap: the service graph is in the context's Prometheus".into());
        } else {
            self.unmapped(format!(
                "serviceMap: it names {:?}, not the context's Prometheus",
                link.datasource_uid.unwrap_or_default()
            ));
        }
    }

    /// Links with no triage setting, and the rest of jsonData by name.
    fn ignored(&mut self) {
        let chosen = [self.chosen.loki, self.chosen.tempo, self.chosen.prometheus];
        for d in chosen.into_iter().flatten() {
            for link in ["tracesToProfiles", "lokiSearch"] {
                if d.json_data.contains_key(link) {
                    self.unmapped(format!(
                        "{} {:?}: {link} has no triage setting",
                        title(&d.kind),
                        d.name
                    ));
                }
            }
            let rest: Vec<&str> = d
                .json_data
                .keys()
                .map(String::as_str)
                .filter(|k| !READ.contains(k) && !k.starts_with("httpHeaderName"))
                .collect();
            if !rest.is_empty() {
                self.unmapped(format!(
                    "{} {:?}: Grafana's own settings, not read: {}",
                    title(&d.kind),
                    d.name,
                    rest.join(", ")
                ));
            }
        }
    }
}

impl Datasource {
    /// Whether Grafana's API says this secret is set (it never shows it).
    fn is_set(&self, field: &str) -> bool {
        self.secure_json_fields.get(field) == Some(&true)
    }
}

/// `Bearer <token>` -> `<token>`.
fn strip_bearer(value: &str) -> &str {
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ => value,
    }
}

/// An environment variable's name made of words: upper case, `_`.
fn env_name(words: &str) -> String {
    words
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        })
        .collect()
}

/// The derived field's regex as a triage rule: one capture group.
fn rule_regex(link: &DerivedFieldLink) -> Result<String, String> {
    let regex = regex::Regex::new(&link.matcher_regex)
        .map_err(|e| format!("its regex does not compile here: {e}"))?;
    let pattern = match regex.captures_len() {
        1 => format!("({})", link.matcher_regex),
        2 => link.matcher_regex.clone(),
        n => {
            return Err(format!(
                "its regex has {} capture groups; triage takes one (make the others (?:...))",
                n - 1
            ));
        }
    };
    DerivedField::from_regex(&link.name, &pattern).map_err(|e| e.to_string())?;
    Ok(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, text: &str) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "TRIAGE_TEST_LOKI" => Some("http://loki:3100".into()),
            "TRIAGE_TEST_TEMPO" => Some("http://tempo:3200/".into()),
            "TRIAGE_TEST_PROMETHEUS" => Some("http://prometheus:9090".into()),
            _ => None,
        }
    }

    /// The context as the config file would hold it.
    fn written(file: &str, text: &str) -> (String, Imported) {
        let imported = import(&[source(file, text)], "shop", &env);
        let imported = imported
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let context = imported.context.clone();
        let text = with_context("", "shop", context, &[file.into()]);
        (text.unwrap_or_else(|e| panic!("{e}")), imported)
    }

    fn has(items: &[String], part: &str) -> bool {
        items.iter().any(|i| i.contains(part))
    }

    #[test]
    fn a_provisioning_file_becomes_one_context_with_its_links() {
        let (text, imported) = written(
            "ds.yaml",
            include_str!("../../tests/grafana/provisioning.yaml"),
        );
        let expected = r#"
# Imported from Grafana's data sources (ds.yaml) by `triage config import-grafana`.
[contexts.shop]
exemplar_trace_label = "trace_id"

[contexts.shop.loki]
url = "http://loki:3100"
basic = { user = "grafana", password_env = "TRIAGE_SHOP_LOKI_PASSWORD" }
tenant = "shop"

[contexts.shop.tempo]
url = "http://tempo:3200"
bearer = { token_file = "/run/secrets/tempo-token" }

[contexts.shop.prometheus]
url = "http://prometheus:9090"
basic = { user = "triage", password_env = "PROMETHEUS_PASSWORD" }

[[contexts.shop.derived_fields]]
name = "TraceID"
regex = 'trace_id=(\w+)'

[[contexts.shop.derived_fields]]
name = "OTel trace"
label = "otel_trace_id"

[contexts.shop.traces_to_logs]
tags = { "k8s.namespace.name" = "namespace", "k8s.pod.name" = "pod", "service.name" = "service_name" }
start_shift = "2m"
end_shift = "2m"
filter_by_trace_id = true
filter_by_span_id = false

[contexts.shop.traces_to_metrics]
tags = { "service.name" = "service", job = "job" }
start_shift = "1h"
end_shift = "1h"
queries = [{ name = "Request rate", query = "sum(rate(traces_spanmetrics_calls_total{$__tags}[5m]))" }]
"#;
        assert_eq!(
            text,
            expected.trim_start_matches('\n').replacen('#', "\n#", 1)
        );
        assert!(crate::config::check_file(&text).is_ok());
        // The password written in clear is named, never copied.
        let everything = format!("{text}{:?}", imported);
        assert!(!everything.contains("hunter2"), "{everything}");
        assert!(has(
            &imported.notes,
            "in clear, and it was not copied; put it in $TRIAGE_SHOP_LOKI_PASSWORD"
        ));
        assert!(has(&imported.notes, "read from $PROMETHEUS_PASSWORD"));
        for unmapped in [
            "Alertmanager \"Alertmanager\"",
            "derived field \"Order\": a link to \"https://shop.example.com/orders/${__value.raw}\"",
            "exemplar label \"traceID\": a link to",
            "tracesToProfiles has no triage setting",
            "Grafana's own settings, not read: maxLines",
            "nodeGraph",
        ] {
            assert!(
                has(&imported.unmapped, unmapped),
                "{unmapped}: {:#?}",
                imported.unmapped
            );
        }
        assert!(has(
            &imported.notes,
            "serviceMap: the service graph is in the context's Prometheus"
        ));
        assert!(has(
            &imported.notes,
            "\"service.name\" is matched as the Loki label \"service_name\""
        ));
    }

    #[test]
    fn helm_values_and_api_json_are_read_too() {
        let (text, imported) = written(
            "values.yaml",
            include_str!("../../tests/grafana/kube-prometheus-stack.yaml"),
        );
        for line in [
            "url = \"http://loki-gateway.monitoring.svc.cluster.local\"",
            "url = \"http://mimir-nginx.monitoring.svc/prometheus\"",
            "tls = { insecure_skip_verify = true }",
            "exemplar_trace_label = \"traceID\"",
            r#"regex = '"traceId":"(\w+)"'"#,
            // v1's tags, then its mapped tags; a positive start shift still widens.
            "tags = { namespace = \"namespace\", pod = \"pod\", \"service.name\" = \"app\" }",
            "start_shift = \"1h\"",
            "filter_by_trace_id = false",
        ] {
            assert!(text.contains(line), "{line}\n{text}");
        }
        assert!(has(&imported.unmapped, "tlsCACert is PEM text in the file"));
        assert!(has(
            &imported.notes,
            "start_shift \"1h\" would narrow the window"
        ));
        assert!(!text.contains("BEGIN CERTIFICATE"));

        let (text, imported) = written(
            "api.json",
            include_str!("../../tests/grafana/api-datasources.json"),
        );
        assert!(
            text.contains(
                "basic = { user = \"123456\", password_env = \"TRIAGE_SHOP_LOKI_PASSWORD\" }"
            ),
            "{text}"
        );
        assert!(
            text.contains("url = \"https://prometheus-prod-01-eu-west-0.grafana.net/api/prom\"")
        );
        assert!(has(
            &imported.notes,
            "Grafana does not give secrets out; put it in $TRIAGE_SHOP_TEMPO_PASSWORD"
        ));
        assert!(has(&imported.unmapped, "the custom query"));
        assert!(text.contains(r"regex = 'traceID=(\w+)'"), "{text}");
    }

    #[test]
    fn variables_expand_as_grafana_expands_them() {
        let env = |name: &str| (name == "HOST").then(|| "loki".to_owned());
        assert_eq!(
            expand("http://$HOST:3100/${HOST}/$__env{HOST}", &env).as_deref(),
            Ok("http://loki:3100/loki/loki")
        );
        assert_eq!(
            expand("$${__value.raw} $$HOST", &env).as_deref(),
            Ok("${__value.raw} $HOST")
        );
        assert_eq!(
            expand("{$__tags} ${__span.name} costs $ 5", &env).as_deref(),
            Ok("{$__tags} ${__span.name} costs $ 5")
        );
        assert_eq!(expand("$MISSING/x", &env), Err("MISSING".to_owned()));
        assert_eq!(
            secret_ref("$__file{/run/pw}"),
            SecretRef::File("/run/pw".into())
        );
        assert_eq!(secret_ref("${PW}"), SecretRef::Env("PW".into()));
        assert_eq!(secret_ref("$__env{PW}"), SecretRef::Env("PW".into()));
        assert_eq!(secret_ref("pw-$PW"), SecretRef::Hidden);
    }

    #[test]
    fn the_context_replaces_its_namesake_and_keeps_the_rest() {
        let existing = "# mine\ncontext = \"prod\"\n\n[contexts.prod.loki]\nurl = \"http://a\" # here\n\n[contexts.shop.loki]\nurl = \"http://old\"\n";
        let mut context = Table::new();
        let mut loki = Table::new();
        loki.insert("url", value("http://new"));
        context.insert("loki", Item::Table(loki));
        let text = with_context(existing, "shop", context, &["f.yaml".into()]).unwrap_or_default();
        assert!(
            text.starts_with(
                "# mine\ncontext = \"prod\"\n\n[contexts.prod.loki]\nurl = \"http://a\" # here\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("url = \"http://new\"") && !text.contains("http://old"),
            "{text}"
        );
        assert!(with_context("contexts = 1", "shop", Table::new(), &[]).is_err());
        assert!(with_context("not toml [", "shop", Table::new(), &[]).is_err());
    }

    #[test]
    fn files_without_data_sources_say_what_was_expected() {
        let error = |text: &str| {
            import(&[source("f.yaml", text)], "x", &env)
                .err()
                .map(|e| e.to_string())
        };
        assert!(error("apiVersion: 1\n").is_some_and(|e| e.contains("no data sources found")));
        assert!(error("datasources: [").is_some_and(|e| e.starts_with("f.yaml: ")));
        let elastic = "datasources:\n  - name: logs\n    type: elasticsearch\n    url: http://es\n";
        assert_eq!(
            error(elastic).as_deref(),
            Some("no Loki, Tempo or Prometheus data source with a url among the files")
        );
    }
}
