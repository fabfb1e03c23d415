//! The studio's editor: a journey built from a palette of nodes, each node
//! a form (catalog names in lists, expressions with completion), checked as
//! you type (`journey check`, with the problems next to their fields and a
//! preview of the canvas), saved to a journey file beside the others.

use super::page::escape;
use jexpr_journey::JourneyCatalog;
use serde_json::{json, Value};

/// What the editor's forms offer: the catalog's events, actions (with
/// their parameters) and audiences.
pub fn choices(catalog: &JourneyCatalog) -> Value {
    json!({
        "events": catalog.core.events.keys().collect::<Vec<_>>(),
        "actions": catalog
            .actions
            .iter()
            .map(|(name, params)| (name.clone(), json!(params.keys().collect::<Vec<_>>())))
            .collect::<serde_json::Map<String, Value>>(),
        "audiences": catalog.core.audiences.clone().unwrap_or_default(),
    })
}

const STYLE: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #fafafa; color: #1a1a1a; }
header { padding: 12px 20px; background: #1f2937; color: #fff; }
header h1 { font-size: 18px; margin: 0; display: inline; }
header a { color: #bfdbfe; margin-left: 16px; }
main { display: flex; gap: 16px; padding: 16px; align-items: flex-start; }
#form { flex: 1; }
#side { width: 460px; position: sticky; top: 16px; }
fieldset { background: #fff; border: 1px solid #d1d5db; border-radius: 6px; margin-bottom: 12px; }
legend { font-weight: 600; }
label { display: inline-block; margin: 4px 12px 4px 0; }
input.expr { font-family: ui-monospace, monospace; width: 28em; }
.problem { color: #b91c1c; display: block; font-size: 12px; }
.suggest button { font-family: ui-monospace, monospace; font-size: 12px; margin: 2px; }
#problems li.error { color: #b91c1c; } #problems li.warning { color: #b45309; }
#preview { background: #fff; border: 1px solid #d1d5db; border-radius: 6px; overflow: auto; max-height: 60vh; }
"#;

/// The editor page for `doc` (a journey's JSON, or a new one).
pub fn page(doc: &Value, file: &str, choices: &Value) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jexpr studio · edit</title>\
         <link rel=\"icon\" href=\"data:,\"><style>{STYLE}{canvas_style}</style></head><body>\
         <header><h1>Edit journey</h1><a href=\"./\">back to the canvases</a></header><main>\
         <div id=\"form\">\
         <fieldset><legend>Journey</legend>\
         <label>id <input id=\"j-id\" data-pointer=\"/id\"></label>\
         <label>version <input id=\"j-version\" type=\"number\" min=\"1\" data-pointer=\"/version\"></label>\
         <label>name <input id=\"j-name\" data-pointer=\"/name\"></label>\
         <label>time zone <input id=\"j-tz\" data-pointer=\"/timeZone\" placeholder=\"UTC\"></label>\
         <label>start <select id=\"j-start\" data-pointer=\"/start\"></select></label><br>\
         <label>published at <input id=\"j-published\" data-pointer=\"/publishedAt\" placeholder=\"2024-05-01T00:00:00Z\"></label>\
         <label>seed <input id=\"j-seed\" type=\"number\" data-pointer=\"/seed\"></label>\
         <label><input id=\"j-reentry\" type=\"checkbox\" data-pointer=\"/reentrance/allowed\"> re-entrance allowed</label>\
         <label>after <input id=\"j-wait-period\" data-pointer=\"/reentrance/waitPeriod\" placeholder=\"P30D\"></label></fieldset>\
         <fieldset><legend>Add a node</legend><label>id <input id=\"new-id\" placeholder=\"e.g. pause\"></label>\
         <span id=\"palette\">{palette}</span></fieldset>\
         <div id=\"nodes\"></div>\
         <fieldset><legend>Save</legend><label>file <input id=\"file\" value=\"{file}\"></label>\
         <button type=\"button\" id=\"save\">Save</button> <output id=\"saved\" role=\"status\"></output></fieldset>\
         </div><div id=\"side\"><h2>Problems</h2><ul id=\"problems\" aria-live=\"polite\"></ul><h2>Preview</h2><div id=\"preview\"></div></div></main>\
         <script type=\"application/json\" id=\"doc\">{doc}</script>\
         <script type=\"application/json\" id=\"choices\">{choices}</script>\
         <script>{SCRIPT}</script></body></html>\n",
        canvas_style = super::page::STYLE,
        palette = ["event", "condition", "split", "wait", "reaction", "action", "jump", "end"]
            .iter()
            .map(|k| format!("<button type=\"button\" data-add=\"{k}\">{k}</button> "))
            .collect::<String>(),
        file = escape(file),
        doc = doc.to_string().replace("</", "<\\/"),
        choices = choices.to_string().replace("</", "<\\/"),
    )
}

const SCRIPT: &str = r#"
const doc = JSON.parse(document.getElementById('doc').textContent);
const choices = JSON.parse(document.getElementById('choices').textContent);
doc.nodes = doc.nodes || {};
const nodesDiv = document.getElementById('nodes');
const ids = () => Object.keys(doc.nodes);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f); else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}
function field(labelText, pointer, value, set, opts) {
  opts = opts || {};
  let input;
  if (opts.options) {
    input = el('select', {'data-pointer': pointer});
    input.append(el('option', {value: ''}, '—'));
    for (const o of opts.options) input.append(el('option', {value: o}, o));
    input.value = value || '';
  } else {
    input = el('input', {'data-pointer': pointer, class: opts.expr ? 'expr' : ''});
    input.value = value === undefined || value === null ? '' : value;
  }
  const suggest = el('span', {class: 'suggest'});
  input.addEventListener(opts.options ? 'change' : 'input', () => {
    set(input.value);
    if (opts.rerender) render();
    changed();
    if (opts.expr) complete(input, suggest, set);
  });
  return el('label', {}, labelText + ' ', input, suggest);
}
function complete(input, box, set) {
  const cursor = input.selectionStart;
  fetch('edit/complete', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({text: input.value, cursor})})
    .then(r => r.json()).then(c => {
      box.replaceChildren();
      for (const w of c.words.slice(0, 12)) {
        box.append(el('button', {type: 'button', on: {click: () => {
          input.value = input.value.slice(0, c.start) + w + input.value.slice(cursor);
          set(input.value); changed(); input.focus(); box.replaceChildren();
        }}}, w));
      }
    });
}
const nextOf = (n, key) => field(key, '', n[key], v => { if (v) n[key] = v; else delete n[key]; }, {options: ids()});
function render() {
  nodesDiv.replaceChildren();
  for (const [id, n] of Object.entries(doc.nodes)) {
    const p = '/nodes/' + id;
    const fs = el('fieldset', {'data-node-form': id});
    fs.append(el('legend', {}, id + ' (' + n.type + ') '), el('button', {type: 'button', on: {click: () => { delete doc.nodes[id]; render(); changed(); }}}, 'remove'), el('br'));
    const f = (key, opts) => { const x = field(key, p + '/' + key, n[key], v => { if (v === '') delete n[key]; else n[key] = opts && opts.number ? Number(v) : v; }, opts); fs.append(x); };
    const nx = key => { const x = nextOf(n, key); x.querySelector('select').setAttribute('data-pointer', p + '/' + key); fs.append(x); };
    if (n.type === 'event') { f('event', {options: choices.events}); f('when', {expr: true}); nx('next'); }
    if (n.type === 'wait') { f('duration'); f('until', {expr: true}); nx('next'); nx('onError'); }
    if (n.type === 'action') {
      f('action', {options: Object.keys(choices.actions), rerender: true});
      n.params = n.params || {};
      for (const name of (choices.actions[n.action] || [])) {
        fs.append(field('param ' + name, p + '/params/' + name, n.params[name], v => { n.params[name] = v; }, {expr: true}));
      }
      nx('next'); nx('onError');
    }
    if (n.type === 'jump') { f('journey'); nx('next'); nx('onError'); }
    if (n.type === 'condition' || n.type === 'split') {
      n.paths = n.paths || [];
      n.paths.forEach((path, i) => {
        const pp = p + '/paths/' + i;
        const row = el('div', {});
        row.append(field('label', pp + '/label', path.label, v => { path.label = v; }));
        if (n.type === 'condition') row.append(field('when', pp + '/when', path.when, v => { path.when = v; }, {expr: true}));
        else row.append(field('percent', pp + '/percent', path.percent, v => { path.percent = Number(v); }));
        const nxt = field('next', pp + '/next', path.next, v => { path.next = v; }, {options: ids()});
        row.append(nxt);
        fs.append(row);
      });
      fs.append(el('button', {type: 'button', on: {click: () => { n.paths.push(n.type === 'condition' ? {label: '', when: '', next: ''} : {label: '', percent: 0, next: ''}); render(); changed(); }}}, 'add path'), el('br'));
      if (n.type === 'condition') { nx('otherwise'); nx('onError'); }
    }
    if (n.type === 'reaction') {
      n.events = n.events || [];
      n.events.forEach((ev, i) => {
        const pp = p + '/events/' + i;
        fs.append(field('event', pp + '/event', ev.event, v => { ev.event = v; }, {options: choices.events}),
                  field('when', pp + '/when', ev.when, v => { if (v) ev.when = v; else delete ev.when; }, {expr: true}),
                  field('next', pp + '/next', ev.next, v => { ev.next = v; }, {options: ids()}), el('br'));
      });
      fs.append(el('button', {type: 'button', on: {click: () => { n.events.push({event: '', next: ''}); render(); changed(); }}}, 'add event'), el('br'));
      f('timeout'); nx('onTimeout');
    }
    nodesDiv.append(fs);
  }
  const start = document.getElementById('j-start');
  start.replaceChildren(el('option', {value: ''}, '—'), ...ids().map(i => el('option', {value: i}, i)));
  start.value = doc.start || '';
}
const topFields = [['j-id', 'id'], ['j-name', 'name'], ['j-tz', 'timeZone'], ['j-start', 'start'], ['j-published', 'publishedAt']];
const seed = document.getElementById('j-seed');
seed.value = doc.seed === undefined ? '' : doc.seed;
seed.addEventListener('input', () => { if (seed.value === '') delete doc.seed; else doc.seed = Number(seed.value); changed(); });
const reentry = document.getElementById('j-reentry');
const period = document.getElementById('j-wait-period');
reentry.checked = !!(doc.reentrance && doc.reentrance.allowed);
period.value = (doc.reentrance && doc.reentrance.waitPeriod) || '';
function setReentrance() {
  if (!reentry.checked && !period.value) { delete doc.reentrance; }
  else { doc.reentrance = {allowed: reentry.checked}; if (period.value) doc.reentrance.waitPeriod = period.value; }
  changed();
}
reentry.addEventListener('change', setReentrance);
period.addEventListener('input', setReentrance);
for (const [eid, key] of topFields) {
  const e = document.getElementById(eid);
  e.value = doc[key] || '';
  e.addEventListener(e.tagName === 'SELECT' ? 'change' : 'input', () => { if (e.value) doc[key] = e.value; else delete doc[key]; changed(); });
}
const ver = document.getElementById('j-version');
ver.value = doc.version || 1; doc.version = Number(ver.value);
ver.addEventListener('input', () => { doc.version = Number(ver.value); changed(); });
for (const b of document.querySelectorAll('[data-add]')) {
  b.addEventListener('click', () => {
    const input = document.getElementById('new-id');
    const id = input.value.trim() || (b.dataset.add + (ids().length + 1));
    if (doc.nodes[id]) { document.getElementById('problems').replaceChildren(el('li', {class: 'error'}, 'a node `' + id + '` exists already')); return; }
    doc.nodes[id] = {type: b.dataset.add};
    if (!doc.start) doc.start = id;
    input.value = '';
    render(); changed();
  });
}
let pending = 0;
function changed() {
  const mine = ++pending;
  fetch('edit/check', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(doc)})
    .then(r => r.json()).then(c => {
      if (mine !== pending) return;
      for (const p of document.querySelectorAll('.problem')) p.remove();
      const list = document.getElementById('problems');
      list.replaceChildren(...c.problems.map(p => el('li', {class: p.severity}, p.code + ' ' + (p.pointer || '/') + ': ' + p.message)));
      if (!c.problems.length) list.append(el('li', {}, 'no problems'));
      for (const p of c.problems) {
        const input = document.querySelector(`[data-pointer="${CSS.escape(p.pointer)}"]`);
        if (input) input.parentElement.append(el('span', {class: 'problem'}, p.message));
      }
      document.getElementById('preview').innerHTML = c.canvas;
    });
}
document.getElementById('save').addEventListener('click', () => {
  fetch('edit/save', {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({file: document.getElementById('file').value, journey: doc})})
    .then(r => r.json()).then(s => { document.getElementById('saved').textContent = s.error ? s.error : 'saved ' + s.file + (s.errors ? ' (with ' + s.errors + ' problems)' : ''); });
});
render(); changed();
"#;
