//! The studio's HTML: every journey as an SVG canvas with its counts, a
//! panel for a node's definition, and a profile search. Server-rendered,
//! with a little inline script; no asset is fetched from anywhere.

use super::layout::{self, Layout, HEIGHT, WIDTH};
use jexpr_journey::report::{JourneyReport, NodeFigures};
use jexpr_journey::{CompiledJourney, Problem, Severity};
use std::fmt::Write;

/// Text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fafafa; }
header { padding: 12px 20px; background: #1f2937; color: #fff; display: flex; gap: 24px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
header form { display: flex; gap: 8px; }
header a { color: #bfdbfe; }
header input { padding: 4px 8px; }
main { display: flex; gap: 16px; padding: 16px; align-items: flex-start; }
#journeys { flex: 1; overflow-x: auto; }
section { background: #fff; border: 1px solid #d1d5db; border-radius: 6px; margin-bottom: 16px; padding: 8px 12px; }
section h2 { font-size: 16px; margin: 4px 0 8px; }
.totals { color: #374151; }
#panel { width: 380px; background: #fff; border: 1px solid #d1d5db; border-radius: 6px; padding: 12px; position: sticky; top: 16px; max-height: 90vh; overflow: auto; }
#panel pre { background: #f3f4f6; padding: 8px; overflow-x: auto; font-size: 12px; }
.node rect { fill: #fff; stroke: #6b7280; stroke-width: 1.5; rx: 6; }
.node { cursor: pointer; }
.node:focus rect, .node:hover rect { stroke: #111827; stroke-width: 3; }
.node:focus { outline: none; }
.node text { font-size: 12px; fill: #111827; }
.node .kind { font-size: 10px; fill: #4b5563; text-transform: uppercase; letter-spacing: .04em; }
.node .counts { font-size: 11px; fill: #1f2937; }
.kind-event rect, .kind-audience rect { fill: #dbeafe; }
.kind-condition rect, .kind-split rect { fill: #fef3c7; }
.kind-wait rect, .kind-reaction rect { fill: #ede9fe; }
.kind-action rect { fill: #dcfce7; }
.kind-jump rect { fill: #fce7f3; }
.kind-end rect { fill: #e5e7eb; }
.node.problem-error rect { stroke: #b91c1c; stroke-width: 3; }
.node.problem-warning rect { stroke: #b45309; stroke-width: 3; stroke-dasharray: 4 2; }
.node.on-path rect { stroke: #2563eb; stroke-width: 4; }
.edge line { stroke: #9ca3af; stroke-width: 1.5; }
.edge.on-path line { stroke: #2563eb; stroke-width: 3; }
.edge text { font-size: 11px; fill: #374151; }
.problems { color: #b91c1c; }
"#;

const SCRIPT: &str = r#"
const panel = document.getElementById('panel');
function show(el) {
  const q = new URLSearchParams({journey: el.dataset.journey, version: el.dataset.version, node: el.dataset.node});
  fetch('node?' + q).then(r => r.text()).then(html => { panel.innerHTML = html; });
}
for (const el of document.querySelectorAll('[data-node]')) {
  el.addEventListener('click', () => show(el));
  el.addEventListener('keydown', e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); show(el); } });
}
document.getElementById('profile-form').addEventListener('submit', e => {
  e.preventDefault();
  const id = document.getElementById('profile').value;
  fetch('profile?' + new URLSearchParams({id})).then(r => r.json()).then(p => {
    light(p);
    panel.innerHTML = p.html;
  });
});
// Lights the nodes and edges of a path: `[[journey, version, node]]` and
// `[[journey, version, from, to]]`.
function light(p) {
  for (const el of document.querySelectorAll('.on-path')) el.classList.remove('on-path');
  for (const [j, v, n] of p.nodes) {
    const el = document.querySelector(`[data-journey="${CSS.escape(j)}"][data-version="${v}"][data-node="${CSS.escape(n)}"]`);
    if (el) el.classList.add('on-path');
  }
  for (const [j, v, from, to] of p.edges) {
    const el = document.querySelector(`[data-journey="${CSS.escape(j)}"][data-version="${v}"][data-edge="${CSS.escape(from + '->' + to)}"]`);
    if (el) el.classList.add('on-path');
  }
}
"#;

/// A payload to start from for each event: its fields with empty values of
/// their types, as the test form fills its text box.
pub fn templates(catalog: &jexpr::Catalog) -> serde_json::Value {
    fn sample(ty: &jexpr::Type, depth: usize) -> serde_json::Value {
        use jexpr::Type;
        use serde_json::json;
        match ty {
            Type::String => json!(""),
            Type::Integer => json!(0),
            Type::Decimal => json!(0.0),
            Type::Boolean => json!(false),
            Type::DateTime => json!("2024-05-01T10:00:00Z"),
            Type::DateTimeOnly => json!("2024-05-01T10:00:00"),
            Type::DateOnly => json!("2024-05-01"),
            Type::Duration => json!("PT1H"),
            Type::Object(fields) if depth < 4 => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(k, t)| (k.clone(), sample(t, depth + 1)))
                    .collect(),
            ),
            Type::List(_) => json!([]),
            _ => json!({}),
        }
    }
    serde_json::Value::Object(
        catalog
            .events
            .iter()
            .map(|(name, ty)| (name.clone(), sample(ty, 0)))
            .collect(),
    )
}

const TEST_SCRIPT: &str = r#"
const templates = JSON.parse(document.getElementById('templates').textContent);
const eventSel = document.getElementById('test-event');
const payload = document.getElementById('test-payload');
function fill() { payload.value = JSON.stringify(templates[eventSel.value] || {}, null, 1); }
eventSel.addEventListener('change', fill);
fill();
function post(path, body) {
  return fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
    .then(r => r.json()).then(p => {
      if (p.error) { panel.innerHTML = '<p role="alert" class="problems"></p>'; panel.firstChild.textContent = p.error; return; }
      document.getElementById('clock').textContent = p.clock;
      light(p);
      panel.innerHTML = p.html;
    });
}
document.getElementById('test-form').addEventListener('submit', e => {
  e.preventDefault();
  let data;
  try { data = JSON.parse(payload.value || '{}'); } catch (err) { panel.textContent = 'The payload is not JSON: ' + err.message; return; }
  const body = {event: eventSel.value, payload: data};
  const who = document.getElementById('test-profile').value;
  if (who) body.profileId = who;
  post('test/event', body);
});
for (const b of document.querySelectorAll('[data-advance]')) {
  b.addEventListener('click', () => post('test/advance', {by: b.dataset.advance}));
}
document.getElementById('test-reset').addEventListener('click', () =>
  post('test/reset', {responses: document.getElementById('test-responses').value}));
"#;

/// The test mode's form: an event typed from the catalog, the clock, mocked responses.
fn test_form(templates: &serde_json::Value) -> String {
    let events: String = templates
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| format!("<option>{}</option>", escape(name)))
        .collect();
    format!(
        "<section id=\"test\" aria-label=\"test mode\"><h2>Test <small>on a virtual clock at <time id=\"clock\">start</time>; actions are shown, not delivered</small></h2>\
         <form id=\"test-form\"><label>Profile <input id=\"test-profile\" placeholder=\"from the event if empty\"></label> \
         <label>Event <select id=\"test-event\">{events}</select></label><br>\
         <label for=\"test-payload\">Payload</label><br><textarea id=\"test-payload\" rows=\"5\" cols=\"60\"></textarea><br>\
         <button type=\"submit\">Send event</button> \
         <button type=\"button\" data-advance=\"PT1H\">+1 hour</button> <button type=\"button\" data-advance=\"P1D\">+1 day</button> \
         <button type=\"button\" data-advance=\"P3D\">+3 days</button></form>\
         <details><summary>Mocked action responses</summary><label for=\"test-responses\">One JSON line each: \
         {{\"action\", \"profileId\"?, \"status\", \"body\"}}</label><br>\
         <textarea id=\"test-responses\" rows=\"3\" cols=\"60\"></textarea></details>\
         <button type=\"button\" id=\"test-reset\">Start again</button>\
         <script type=\"application/json\" id=\"templates\">{}</script></section>",
        templates.to_string().replace("</", "<\\/")
    )
}

/// Links to the editor: a new journey, and each journey given.
fn edit_links(journeys: &[&CompiledJourney]) -> String {
    let mut ids: Vec<&str> = journeys.iter().map(|cj| cj.journey.id.as_str()).collect();
    ids.dedup();
    let each: String = ids
        .iter()
        .map(|id| format!(" <a href=\"edit?journey={0}\">{0}</a>", escape(id)))
        .collect();
    format!("<nav aria-label=\"edit\"><a href=\"edit\">New journey</a> · Edit:{each}</nav>")
}

/// The whole page.
pub fn page(
    journeys: &[&CompiledJourney],
    reports: &[JourneyReport],
    problems: &[Problem],
    source: &str,
    templates: Option<&serde_json::Value>,
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jexpr studio</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head><body>\
         <header><h1>jexpr studio</h1><span>{}</span>\
         <form id=\"profile-form\" role=\"search\"><label for=\"profile\">Profile</label>\
         <input id=\"profile\" name=\"id\" placeholder=\"profile id\" autocomplete=\"off\">\
         <button type=\"submit\">Show path</button></form>{}</header><main><div id=\"journeys\">{}",
        escape(source),
        if templates.is_some() { edit_links(journeys) } else { String::new() },
        templates.map(test_form).unwrap_or_default()
    );
    for cj in journeys {
        let report = reports
            .iter()
            .find(|r| r.journey == cj.journey.id && r.version == cj.journey.version);
        let mine: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.file == cj.journey.file)
            .collect();
        out.push_str(&canvas(cj, report, &mine));
    }
    let _ = writeln!(
        out,
        "</div><aside id=\"panel\" aria-live=\"polite\"><p>Select a node (click, or Tab and Enter) to see its definition, \
         or search a profile to see its path.</p></aside></main><script>{SCRIPT}{}</script></body></html>",
        if templates.is_some() { TEST_SCRIPT } else { "" }
    );
    out
}

/// One journey's section: its totals and its SVG canvas.
pub fn canvas(
    cj: &CompiledJourney,
    report: Option<&JourneyReport>,
    problems: &[&Problem],
) -> String {
    let j = &cj.journey;
    let l: Layout = layout::layout(j);
    let figures = |id: &str| report.and_then(|r| r.total.get(id));
    let mut out = String::new();
    let (entered, waiting, errors) = report.map_or((0, 0, 0), |r| {
        (r.total.entered, r.total.waiting, r.total.errors)
    });
    let _ = write!(
        out,
        "<section data-journey=\"{id}\" data-version=\"{v}\"><h2>{name} <small>({id} v{v})</small></h2>\
         <p class=\"totals\">entered {entered} · waiting {waiting} · errors {errors}</p>",
        id = escape(&j.id),
        v = j.version,
        name = escape(&j.name),
    );
    let _ = write!(
        out,
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"journey {id} version {v}\">",
        w = l.width,
        h = l.height,
        id = escape(&j.id),
        v = j.version
    );
    let at = |id: &str| l.nodes.iter().find(|n| n.id == id);
    for e in &l.edges {
        let (Some(a), Some(b)) = (at(&e.from), at(&e.to)) else {
            continue;
        };
        let (x1, y1) = (a.x + WIDTH, a.y + HEIGHT / 2);
        let (x2, y2) = (b.x, b.y + HEIGHT / 2);
        let count = edge_count(figures(&e.from), &e.label, j.nodes.get(&e.from));
        let count_attr = count
            .map(|c| format!(" data-count=\"{c}\""))
            .unwrap_or_default();
        let text = match (e.label.as_str(), count) {
            ("", Some(c)) => c.to_string(),
            ("", None) => String::new(),
            (label, Some(c)) => format!("{label} · {c}"),
            (label, None) => label.to_string(),
        };
        let _ = write!(
            out,
            "<g class=\"edge\" data-journey=\"{jid}\" data-version=\"{v}\" data-edge=\"{key}\"{count_attr}>\
             <line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{label}</text></g>",
            jid = escape(&j.id),
            v = j.version,
            key = escape(&format!("{}->{}", e.from, e.to)),
            tx = (x1 + x2) / 2 - 20,
            ty = (y1 + y2) / 2 - 4,
            label = escape(&text),
        );
    }
    for n in &l.nodes {
        let Some(node) = j.nodes.get(&n.id) else {
            continue;
        };
        let f = figures(&n.id).cloned().unwrap_or_default();
        let worst = problems
            .iter()
            .filter(|p| {
                p.pointer == format!("/nodes/{}", n.id)
                    || p.pointer.starts_with(&format!("/nodes/{}/", n.id))
            })
            .map(|p| p.severity)
            .min_by_key(|s| match s {
                Severity::Error => 0,
                Severity::Warning => 1,
            });
        let problem_class = match worst {
            Some(Severity::Error) => " problem-error",
            Some(Severity::Warning) => " problem-warning",
            None => "",
        };
        let kind = node.type_name();
        let _ = write!(
            out,
            "<g class=\"node kind-{kind}{problem_class}\" data-journey=\"{jid}\" data-version=\"{v}\" data-node=\"{id}\" \
             data-entered=\"{en}\" data-errors=\"{er}\" data-waiting=\"{wa}\" tabindex=\"0\" role=\"button\" \
             aria-label=\"{kind} {id}: entered {en}, errors {er}, waiting {wa}\" transform=\"translate({x},{y})\">\
             <rect width=\"{WIDTH}\" height=\"{HEIGHT}\"/>\
             <text x=\"10\" y=\"18\">{id}</text><text class=\"kind\" x=\"10\" y=\"34\">{kind}</text>\
             <text class=\"counts\" x=\"10\" y=\"52\">in {en} · waiting {wa} · errors {er}</text></g>",
            jid = escape(&j.id),
            v = j.version,
            id = escape(&n.id),
            en = f.entered,
            er = f.errors,
            wa = f.waiting,
            x = n.x,
            y = n.y,
        );
    }
    out.push_str("</svg></section>");
    out
}

/// How many went along an edge, from the source node's figures.
fn edge_count(
    f: Option<&NodeFigures>,
    label: &str,
    node: Option<&jexpr_journey::model::Node>,
) -> Option<u64> {
    use jexpr_journey::model::Node;
    let f = f?;
    Some(match node? {
        Node::Condition { .. } | Node::Split { .. } if label == "onError" => f.errors,
        Node::Condition { .. } | Node::Split { .. } => f.paths.get(label).copied().unwrap_or(0),
        Node::Reaction { .. } if label == "timeout" => f.timeout,
        Node::Reaction { .. } => f.events.get(label).copied().unwrap_or(0),
        _ if label == "onError" => f.errors,
        // One way on: whoever arrived and did not fail, wait or leave here.
        _ => f
            .entered
            .saturating_sub(f.errors + f.waiting + f.exited.values().sum::<u64>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The canvas of a small journey with two profiles' records: the hooks
    /// the browser tests read, the counts, the labels, the problem marker.
    #[test]
    fn a_small_canvas() {
        let catalog = jexpr_journey::JourneyCatalog::from_json(
            &json!({"events": {"Go": {"fields": {"vip": "boolean"}}},
                    "actions": {"note": {"params": {"text": "string"}}}}),
            std::path::Path::new("catalog.json"),
        )
        .expect("catalog");
        let text = json!({"id": "t", "version": 1, "name": "Tiny <journey>", "start": "go", "nodes": {
            "go": {"type": "event", "event": "Go", "next": "vip"},
            "vip": {"type": "condition", "paths": [{"label": "yes", "when": "@{Go.vip}", "next": "send"}],
                    "otherwise": "done"},
            "send": {"type": "action", "action": "note", "params": {"text": "\"hi\""}, "next": "done"},
            "done": {"type": "end"},
            "lost": {"type": "end"}}})
        .to_string();
        let (report, compiled) = jexpr_journey::check(&[("t.json".into(), text)], &catalog);
        let cj = compiled.first().expect("compiled");
        let mut builder = jexpr_journey::report::ReportBuilder::new(None);
        let at = "2024-05-01T10:00:00.000Z";
        for (who, vip) in [("a", true), ("b", false)] {
            let path = if vip { "yes" } else { "otherwise" };
            let mut records = vec![
                json!({"time": at, "kind": "enter", "journey": "t", "version": 1, "profileId": who, "node": "go", "event": "Go", "instance": format!("t:1:{who}")}),
                json!({"time": at, "kind": "path", "journey": "t", "version": 1, "profileId": who, "node": "vip", "type": "condition", "path": path}),
            ];
            if vip {
                records.push(json!({"time": at, "kind": "action", "journey": "t", "version": 1, "profileId": who, "node": "send", "action": "note", "params": {"text": "hi"}}));
            }
            records.push(json!({"time": at, "kind": "exit", "journey": "t", "version": 1, "profileId": who, "node": "done", "reason": "end"}));
            for r in &records {
                builder.add(r).expect("record");
            }
        }
        let snapshot = builder.snapshot();
        let problems: Vec<&Problem> = report.problems.iter().collect();
        let html = canvas(cj, snapshot.journeys.first(), &problems);
        // One element per line, for a readable snapshot.
        insta::assert_snapshot!(html.replace("><", ">\n<"));
    }
}
