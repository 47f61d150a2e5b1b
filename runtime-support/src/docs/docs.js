// The bunbase API docs page: renders the OpenAPI document served beside it and
// sends "try it" requests to this server. No dependencies, no other origin.
"use strict";
(() => {
  const main = document.getElementById("operations");
  const METHODS = ["get", "post", "put", "patch", "delete"];
  let spec;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  // Follows a local `$ref` (`#/components/...`) to what it names.
  function resolve(obj) {
    let seen = 0;
    while (obj && obj.$ref && seen++ < 20) {
      obj = obj.$ref.slice(2).split("/").reduce((o, k) => (o ? o[k] : undefined), spec);
    }
    return obj || {};
  }

  function refName(s) {
    return s && s.$ref ? s.$ref.split("/").pop() : null;
  }

  // A one-line type: `Task`, `list<string>`, `"open" | "done"`, `string?`.
  function typeText(s) {
    if (!s) return "any";
    if (refName(s)) return refName(s);
    if (s.allOf && s.allOf.length === 1) return typeText(s.allOf[0]) + (s.nullable ? "?" : "");
    let t;
    if (s.enum) t = s.enum.map((v) => JSON.stringify(v)).join(" | ");
    else if (s.type === "array") t = "list<" + typeText(s.items) + ">";
    else if (s.oneOf || s.anyOf) t = (s.oneOf || s.anyOf).map(typeText).join(" | ");
    else t = (s.type || "object") + (s.format ? " (" + s.format + ")" : "");
    return t + (s.nullable ? "?" : "");
  }

  function constraints(s) {
    const out = [];
    const add = (k, label) => s[k] !== undefined && out.push(label + " " + JSON.stringify(s[k]));
    add("minLength", "min length"); add("maxLength", "max length");
    add("minimum", "≥"); add("maximum", "≤"); add("minItems", "min items"); add("maxItems", "max items");
    add("pattern", "pattern"); add("default", "default"); add("example", "example");
    if (s.uniqueItems) out.push("unique");
    return out.join(", ");
  }

  // The fields of an object schema as a table; other schemas as their type.
  function schemaView(schema) {
    const s = resolve(schema);
    if (s.type !== "object" || !s.properties) return el("p", {}, el("code", {}, typeText(schema)));
    const req = new Set(s.required || []);
    return el("table", {},
      el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "rules")),
      Object.entries(s.properties).map(([name, p]) =>
        el("tr", {},
          el("td", {}, el("code", {}, name + (req.has(name) ? "" : "?"))),
          el("td", {}, el("code", {}, typeText(p))),
          el("td", {}, [constraints(p), p.description].filter(Boolean).join("; ")))));
  }

  // A value that passes the schema's checks where it can: examples and
  // defaults first, then one of each type. Objects get their required fields.
  function example(schema, depth) {
    const s = resolve(schema);
    if (depth > 6) return null;
    if (s.example !== undefined) return s.example;
    if (s.default !== undefined) return s.default;
    if (s.allOf && s.allOf.length) return example(s.allOf[0], depth + 1);
    if (s.oneOf || s.anyOf) return example((s.oneOf || s.anyOf)[0], depth + 1);
    if (s.enum) return s.enum[0];
    switch (s.type) {
      case "object": {
        const o = {};
        for (const k of s.required || []) o[k] = example(s.properties[k], depth + 1);
        return o;
      }
      case "array": return [];
      case "integer": case "number": return s.minimum !== undefined ? s.minimum : 0;
      case "boolean": return false;
      default: break;
    }
    const formats = { "date-time": new Date().toISOString(), date: new Date().toISOString().slice(0, 10),
      uuid: "00000000-0000-4000-8000-000000000000", email: "user@example.com", uri: "https://example.com" };
    if (formats[s.format]) return formats[s.format];
    return "x".repeat(Math.max(1, s.minLength || 1));
  }

  function responsesView(responses) {
    return el("table", {}, Object.entries(responses || {}).map(([code, r]) => {
      const res = resolve(r);
      const media = res.content && res.content["application/json"];
      return el("tr", {}, el("td", {}, el("code", {}, code)),
        el("td", {}, (refName(r) ? refName(r) + ": " : "") + (res.description || "")),
        el("td", {}, media ? el("code", {}, typeText(media.schema)) : ""));
    }));
  }

  function tryIt(path, method, op) {
    const params = (op.parameters || []).map(resolve);
    const media = op.requestBody && resolve(op.requestBody).content;
    const bodySchema = media && media["application/json"] && media["application/json"].schema;
    const inputs = params.map((p) => el("input", {
      name: p.name, "data-in": p.in,
      placeholder: typeText(p.schema) + (p.required ? " (required)" : ""),
    }));
    const body = bodySchema ? el("textarea", { name: "body", spellcheck: "false" },
      JSON.stringify(example(bodySchema, 0), null, 2)) : null;
    const output = el("pre", { class: "response", hidden: "" });
    async function send(event) {
      event.preventDefault();
      let url = path;
      const query = new URLSearchParams();
      inputs.forEach((input) => {
        const v = input.value;
        if (input.dataset.in === "path") url = url.replace("{" + input.name + "}", encodeURIComponent(v));
        else if (input.dataset.in === "query" && v !== "") query.append(input.name, v);
      });
      if ([...query].length) url += "?" + query;
      const init = { method: method.toUpperCase(), credentials: "same-origin", headers: {} };
      if (body) {
        try { init.body = JSON.stringify(JSON.parse(body.value)); } catch (e) {
          output.hidden = false; output.textContent = "The body is not valid JSON: " + e.message; return;
        }
        init.headers["content-type"] = "application/json";
      }
      output.hidden = false;
      output.textContent = init.method + " " + url + " …";
      try {
        const res = await fetch(url, init);
        const text = await res.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
        output.textContent = "";
        output.append(el("span", { class: "status" }, res.status + " " + res.statusText),
          "  " + init.method + " " + url + "\nx-request-id: " + (res.headers.get("x-request-id") || "-") +
          (shown ? "\n\n" + shown : ""));
      } catch (e) {
        output.textContent = "The request failed: " + e.message;
      }
    }
    return el("form", { class: "try", onsubmit: send },
      el("h4", {}, "Try it"),
      inputs.map((input) => el("label", {}, input.name + " (" + input.dataset.in + ")", input)),
      body ? el("label", {}, "JSON body", body) : null,
      el("button", { type: "submit" }, "Send " + method.toUpperCase() + " " + path),
      output);
  }

  function operationView(path, method, op) {
    const media = op.requestBody && resolve(op.requestBody).content;
    const bodySchema = media && media["application/json"] && media["application/json"].schema;
    const params = (op.parameters || []).map(resolve);
    return el("details", { class: "op", id: "op-" + (op.operationId || method + path), "data-operation-id": op.operationId || "" },
      el("summary", {}, el("span", { class: "method " + method }, method.toUpperCase()),
        el("span", { class: "path" }, path), el("span", { class: "summary" }, op.summary || op.operationId || "")),
      el("div", { class: "body" },
        op.description ? el("p", {}, op.description) : null,
        op.operationId ? el("p", {}, "Action ", el("code", {}, op["x-bunbase-action"] || op.operationId),
          op.security && op.security.length ? " (needs a session)" : "") : null,
        params.length ? [el("h4", {}, "Parameters"), el("table", {}, params.map((p) => el("tr", {},
          el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, el("code", {}, typeText(p.schema))),
          el("td", {}, [constraints(p.schema || {}), p.description].filter(Boolean).join("; ")))))] : null,
        bodySchema ? [el("h4", {}, "Body ", el("code", {}, typeText(bodySchema))), schemaView(bodySchema)] : null,
        el("h4", {}, "Responses"), responsesView(op.responses),
        tryIt(path, method, op)));
  }

  function render() {
    const info = spec.info || {};
    document.title = (info.title || "API") + " docs";
    document.getElementById("title").textContent = info.title || "API docs";
    document.getElementById("description").textContent =
      (info.description || "") + (info.version ? " (version " + info.version + ")" : "");
    const groups = new Map((spec.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || "other";
        if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
        groups.get(tag).ops.push(operationView(path, method, op));
      }
    }
    main.textContent = "";
    for (const { tag, ops } of groups.values()) {
      if (!ops.length) continue;
      main.append(el("section", { class: "tag" }, el("h2", {}, tag.name),
        tag.description ? el("p", {}, tag.description) : null, ops));
    }
  }

  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const op of main.querySelectorAll("details.op")) {
      op.hidden = q !== "" && !op.querySelector("summary").textContent.toLowerCase().includes(q);
    }
  });

  fetch(main.dataset.spec, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then((doc) => { spec = doc; render(); main.dataset.ready = "true"; })
    .catch((e) => { document.getElementById("status").textContent = "Could not load the OpenAPI document: " + e.message; });
})();
