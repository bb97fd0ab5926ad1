// The API page: reads /openapi.json and lists each operation with a form
// that sends it from this page (same origin, so CSRF checks pass).
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

// A starting value for a JSON body, from its schema.
function example(schema) {
  if (!schema) return "";
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "object": {
      const o = {};
      for (const [k, s] of Object.entries(schema.properties || {})) o[k] = example(s);
      return o;
    }
    case "integer": case "number": return schema.minimum ?? 0;
    case "boolean": return false;
    case "array": return [];
    default: return "";
  }
}

// Read at most 4 KiB of the answer, for at most 3 s: event streams never end.
async function readSome(response, controller) {
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  const stop = setTimeout(() => controller.abort(), 3000);
  try {
    while (size < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch (_) { /* aborted: show what came */ }
  clearTimeout(stop);
  controller.abort();
  return new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
}

function operation(path, method, op) {
  const id = op.operationId;
  const params = op.parameters || [];
  const form = el("form", { class: "try", "data-operation": id });
  for (const p of params) {
    const input = el("input", { name: p.name, "data-in": p.in, placeholder: p.schema?.type || "string" });
    if (p.required && p.in === "path") input.required = true;
    form.append(el("label", {}, `${p.name} (${p.in})${p.description ? " — " + p.description : ""}`, input));
  }
  const content = op.requestBody?.content || {};
  const media = Object.keys(content)[0];
  let body = null;
  if (media) {
    const start = example(content[media].schema);
    const text = media === "application/json" ? JSON.stringify(start)
      : media === "application/x-www-form-urlencoded" ? new URLSearchParams(start).toString() : "";
    body = el("textarea", { name: "body", rows: "3", "aria-label": "request body" });
    body.value = text;
    form.append(el("label", { class: "wide" }, `body (${media})`, body));
  }
  const out = el("pre", { class: "answer", "data-answer": id });
  form.append(el("button", {}, "Send"), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const input of form.querySelectorAll("input")) {
      const v = input.value;
      if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(v));
      else if (v && input.dataset.in === "query") query.append(input.name, v);
      else if (v && input.dataset.in === "header") headers[input.name] = v;
    }
    if ([...query].length) url += "?" + query;
    if (body) headers["Content-Type"] = media;
    out.textContent = "…";
    const controller = new AbortController();
    try {
      const r = await fetch(url, {
        method: method.toUpperCase(), headers, body: body ? body.value : undefined,
        redirect: "manual", signal: controller.signal,
      });
      // A redirect is not followed (`manual`): the browser shows it without a body.
      const text = method === "head" || !r.body ? "" : await readSome(r, controller);
      out.textContent = `${r.status || "redirect"} ${r.statusText}\n${text}`;
      out.dataset.status = String(r.status);
    } catch (e) {
      out.textContent = `failed: ${e}`;
    }
  });
  const replies = Object.entries(op.responses || {}).map(([code, r]) => `${code} ${r.description}`).join(" · ");
  return el("details", { class: "panel operation", id },
    el("summary", {}, el("code", {}, `${method.toUpperCase()} ${path}`), " ", op.summary || ""),
    op.description ? el("p", {}, op.description) : "",
    el("p", { class: "replies" }, replies),
    form);
}

async function main() {
  const list = document.getElementById("operations");
  try {
    const doc = await (await fetch("/openapi.json")).json();
    document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
    document.getElementById("description").textContent = doc.info.description || "";
    list.textContent = "";
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) list.append(operation(path, method, op));
    }
    list.dataset.count = String(list.children.length);
  } catch (e) {
    list.textContent = `The document could not be read: ${e}`;
  }
}
main();
