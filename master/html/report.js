/* Hornet HTML report: builds the page from the JSON document embedded in
 * it (the same document --json writes; see report.schema.json) with uPlot
 * for the charts. Every text from the run goes in with textContent: names
 * and errors come from the scenario and the workers. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("hornet-data").textContent);
  var root = document.getElementById("report");
  var drawn = 0, charts = 0;

  /* --- small helpers ---------------------------------------------------- */
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "class") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function ms(us) {
    if (us === null || us === undefined) return "–";
    var v = us / 1000;
    if (v >= 100) return Math.round(v).toLocaleString("en-US");
    if (v >= 10) return v.toFixed(1);
    if (v >= 1) return v.toFixed(2);
    return v.toFixed(3);
  }
  function num(v, d) {
    if (v === null || v === undefined) return "–";
    return Number(v).toLocaleString("en-US", {maximumFractionDigits: d === undefined ? 0 : d});
  }
  function pct(r) { return (100 * r).toFixed(2) + " %"; }
  function utc(ms) { return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"); }
  function hms(ms) { return new Date(ms).toISOString().substr(11, 8); }
  function dur(s) {
    if (s < 60) return s.toFixed(1) + " s";
    var m = Math.floor(s / 60), h = Math.floor(m / 60);
    return h ? h + " h " + (m % 60) + " min" : m + " min " + Math.round(s % 60) + " s";
  }
  function entryName(e) { return (e.method ? e.method + " " : "") + e.name; }
  function table(parent, head, rows, opts) {
    opts = opts || {};
    var wrap = add(parent, el("div", {class: "scroll"}));
    var t = add(wrap, el("table", opts.id ? {id: opts.id} : null));
    var tr = add(add(t, el("thead")), el("tr"));
    head.forEach(function (h, i) {
      var th = add(tr, el("th", {class: (opts.left || []).indexOf(i) >= 0 ? "l" : ""}, h));
      if (opts.sortable) {
        th.classList.add("sortable");
        th.title = "sort";
        th.addEventListener("click", function () { sortBy(t, i); });
      }
    });
    var tb = add(t, el("tbody"));
    rows.forEach(function (r) {
      var row = add(tb, el("tr", r.cls ? {class: r.cls} : null));
      r.cells.forEach(function (c, i) {
        var cls = (opts.left || []).indexOf(i) >= 0 ? "l" : "";
        if ((opts.names || []).indexOf(i) >= 0) cls = "name";
        var td = add(row, el("td", {class: cls}));
        if (c && c.nodeType) td.appendChild(c); else td.textContent = c === null || c === undefined ? "" : String(c);
        if (r.sort) td.dataset.sort = r.sort[i];
      });
    });
    return t;
  }
  function sortBy(t, col) {
    var tb = t.tBodies[0], rows = Array.prototype.slice.call(tb.rows);
    var fixed = rows.filter(function (r) { return r.classList.contains("total"); });
    rows = rows.filter(function (r) { return !r.classList.contains("total"); });
    var dir = t.dataset.sortCol == col && t.dataset.sortDir === "asc" ? "desc" : "asc";
    t.dataset.sortCol = col; t.dataset.sortDir = dir;
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
      var nx = parseFloat(x), ny = parseFloat(y), c;
      c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
      return dir === "asc" ? c : -c;
    });
    rows.concat(fixed).forEach(function (r) { tb.appendChild(r); });
  }

  /* --- charts --------------------------------------------------------------*/
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  function chart(parent, title, note, opts, data) {
    charts++;
    var box = add(parent, el("div", {class: "chart"}));
    add(box, el("div", {class: "title"}, title));
    if (note) add(box, el("div", {class: "note"}, note));
    var width = Math.max(320, Math.min(box.clientWidth || root.clientWidth, 1150) - 14);
    opts.width = width;
    opts.height = opts.height || 240;
    opts.hooks = opts.hooks || {};
    var once = false;
    opts.hooks.draw = [function () {
      if (!once) { once = true; drawn++; box.dataset.drawn = "1"; document.body.dataset.chartsDrawn = String(drawn); }
    }];
    opts.legend = opts.legend || {live: false};
    var u = new uPlot(opts, data, box);
    box.uplot = u;
    return u;
  }
  function timeSeries(parent, title, note, series, yLabel, extraScales) {
    var T = D.timeline, t = T.time_ms.map(function (v) { return v / 1000; });
    var data = [t], ser = [{}];
    series.forEach(function (s, i) {
      data.push(s.values);
      ser.push({label: s.label, stroke: s.color || palette[i], width: 1.5, scale: s.scale || "y",
                spanGaps: false, points: {show: t.length < 60}, value: s.fmt ? function (u, v) { return v === null ? "–" : s.fmt(v); } : undefined});
    });
    /* Times in UTC, as every other report writes them; ticks on whole
       seconds (labels are HH:MM:SS: a finer tick would repeat its label). */
    var axes = [{values: function (u, vals) { return vals.map(function (v) { return hms(v * 1000); }); },
                 incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400],
                 label: "UTC"}, {label: yLabel, scale: "y", size: 60}];
    var scales = {x: {time: true}, y: {auto: true, range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; }}};
    (extraScales || []).forEach(function (x) {
      scales[x.scale] = {auto: true, range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; }};
      axes.push({label: x.label, scale: x.scale, side: 1, grid: {show: false}, size: 60});
    });
    return chart(parent, title, note, {series: ser, axes: axes, scales: scales, legend: {live: true}}, data);
  }

  /* --- the page ----------------------------------------------------------- */
  var R = D.run, T = D.totals, W = D.workers || [];
  var failedTh = D.thresholds.filter(function (t) { return !t.pass; });
  var lost = W.filter(function (w) { return w.state === "lost"; });
  var banned = W.filter(function (w) { return w.state === "banned"; });
  var declined = W.filter(function (w) { return w.state === "declined"; });
  var gapped = W.filter(function (w) { return w.reports_lost > 0; });
  var why = [];
  if (failedTh.length) why.push(failedTh.length + " of " + D.thresholds.length + " thresholds failed");
  if (R.aborted) why.push("aborted: " + R.aborted);
  if (D.master_lag && D.master_lag.fell_behind) why.push("the master fell behind its workers: results may be incomplete");
  if (!T.requests) why.push("no request completed");
  if (T.failures) why.push(num(T.failures) + " of " + num(T.requests) + " requests failed");
  var exc = D.exceptions.reduce(function (a, x) { return a + x.count; }, 0);
  if (exc) why.push(num(exc) + " exceptions outside requests");

  var h1 = add(root, el("h1", null, "Hornet load test"));
  add(h1, el("span", {class: "badge " + (why.length ? "bad" : "ok"), id: "verdict"}, why.length ? "failed" : "passed"));
  if (why.length) add(root, el("div", {class: "why"}, why.join("; ")));
  var cfg = R.config || {};
  var meta = [utc(R.started_ms), "duration " + dur(R.duration_s), "run " + R.id];
  if (cfg.load) meta.push(cfg.load);
  meta.push(W.length + " worker" + (W.length === 1 ? "" : "s"));
  if (cfg.scenario) meta.push("scenario " + cfg.scenario);
  if (cfg.host) meta.push("host " + cfg.host);
  add(root, el("p", {class: "meta"}, meta.join(" · ")));

  /* What a reader must know before trusting the numbers. */
  if (D.generator_warnings.length || lost.length || banned.length || declined.length || gapped.length) {
    var wb = add(root, el("div", {class: "warnbox", id: "caveats"}));
    add(wb, el("h3", null, "Read these numbers with care"));
    var ul = add(wb, el("ul"));
    lost.forEach(function (w) {
      var ev = (D.events || []).filter(function (e) { return e.worker === w.index && (e.kind === "missing" || e.kind === "lost"); });
      var when = ev.length ? " (missing since " + hms(ev[0].time_ms) + " UTC)" : "";
      add(ul, el("li", null, "Worker " + w.index + " (" + w.id + ") was lost" + when +
        ": what it had not reported yet is not in the totals."));
    });
    gapped.forEach(function (w) {
      var ev = (D.events || []).filter(function (e) { return e.worker === w.index && e.kind === "gap"; });
      var when = ev.length ? " (first noticed " + hms(ev[0].time_ms) + " UTC)" : "";
      add(ul, el("li", null, "Worker " + w.index + " (" + w.id + "): " + w.reports_lost + " of its reports never arrived" + when +
        ": about " + w.reports_lost + " s of its requests are not in the totals."));
    });
    banned.forEach(function (w) {
      add(ul, el("li", null, "Worker " + w.index + " (" + w.id + ") was thrown out: " + w.ban_reason + "."));
    });
    declined.forEach(function (w) {
      add(ul, el("li", null, "Worker " + w.index + " (" + w.id + ") could not run the scenario and ran no users" +
        " (they went to the others): " + w.decline_reason + "."));
    });
    D.generator_warnings.forEach(function (g) {
      add(ul, el("li", null, g.message + " (" + hms(Date.parse(g.first)) + "–" + hms(Date.parse(g.last)) + " UTC)."));
    });
  }

  var lat = T.latency_us;
  var cards = add(root, el("div", {class: "cards"}));
  function card(k, v) { var c = add(cards, el("div", {class: "card"})); add(c, el("div", {class: "k"}, k)); add(c, el("div", {class: "v"}, v)); }
  card("requests", num(T.requests));
  card("failures", num(T.failures) + " (" + pct(T.failure_ratio) + ")");
  card("requests/s", num(T.requests_per_s, 1));
  card("median (ms)", lat ? ms(lat.percentiles["50"]) : "–");
  card("p95 (ms)", lat ? ms(lat.percentiles["95"]) : "–");
  card("p99 (ms)", lat ? ms(lat.percentiles["99"]) : "–");
  card("max (ms)", lat ? ms(lat.max) : "–");
  if (D.dropped_iterations) card("dropped iterations", num(D.dropped_iterations));
  if (D.users_not_run) card("users not run (capacity)", num(D.users_not_run));
  if (R.latency === "from_intended_start")
    add(root, el("p", {class: "muted"}, "Latencies are measured from each iteration's intended start (coordinated omission corrected); service times are in the JSON report."));

  /* Thresholds */
  if (D.thresholds.length) {
    add(root, el("h2", null, "Thresholds"));
    table(root, ["", "threshold", "observed", "abort on fail"], D.thresholds.map(function (t) {
      var mark = el("span", {class: t.pass ? "pass" : "fail"}, t.pass ? "✓ pass" : "✗ fail");
      return {cells: [mark, t.expression, t.observed_text, t.abort_on_fail ? "yes" : "no"]};
    }), {left: [0, 1], id: "thresholds"});
  }

  /* Over time */
  add(root, el("h2", null, "Over time"));
  var TL = D.timeline;
  timeSeries(root, "Requests and failures per second", "Per closed master second: requests whose report reached the master in that second.",
    [{label: "requests/s", values: TL.requests, color: "#1f77b4"},
     {label: "failures/s", values: TL.failures, color: "#d62728"}], "per second");
  var g2 = add(root, el("div", {class: "grid2"}));
  timeSeries(g2, "Users", null,
    [{label: "users", values: TL.users, color: "#2ca02c"},
     {label: "workers", values: TL.workers, color: "#8c564b", scale: "w"}], "users", [{scale: "w", label: "workers"}]);
  function toMs(a) { return a.map(function (v) { return v === null ? null : v / 1000; }); }
  timeSeries(g2, "Response time percentiles per second (ms)", "Of the requests reported in each second; gaps: none.",
    [{label: "p50", values: toMs(TL.p50_us), color: "#2ca02c", fmt: function (v) { return v.toFixed(1); }},
     {label: "p95", values: toMs(TL.p95_us), color: "#ff7f0e", fmt: function (v) { return v.toFixed(1); }},
     {label: "p99", values: toMs(TL.p99_us), color: "#d62728", fmt: function (v) { return v.toFixed(1); }}], "ms");

  /* Entries */
  add(root, el("h2", null, "Requests"));
  var head = ["Type", "Name", "# reqs", "# fails", "fail %", "avg", "min", "p50", "p90", "p95", "p99", "p99.9", "max", "req/s", "avg size"];
  function row(e, cls) {
    var l = e.latency_us, p = l ? l.percentiles : {};
    var cells = [e.method, e.name, num(e.requests), num(e.failures), pct(e.failure_ratio),
      l ? ms(l.mean) : "–", l ? ms(l.min) : "–", ms(p["50"]), ms(p["90"]), ms(p["95"]), ms(p["99"]), ms(p["99.9"]),
      l ? ms(l.max) : "–", num(e.requests_per_s, 1), num(e.avg_content_size)];
    var sort = [e.method, e.name, e.requests, e.failures, e.failure_ratio, l ? l.mean : -1, l ? l.min : -1,
      p["50"] || -1, p["90"] || -1, p["95"] || -1, p["99"] || -1, p["99.9"] || -1, l ? l.max : -1, e.requests_per_s, e.avg_content_size];
    return {cells: cells, sort: sort, cls: cls};
  }
  var rows = D.entries.map(function (e) { return row(e); });
  var total = row(T, "total"); total.cells[0] = ""; rows.push(total);
  table(root, head, rows, {left: [0, 1], names: [1], sortable: true, id: "entries"});
  add(root, el("p", {class: "muted"}, "Times in ms. Percentiles are exact to 0.1 % (nearest rank)."));

  /* Percentile spectrum: x is the number of nines (90 % = 1, 99 % = 2, ...). */
  add(root, el("h2", null, "Percentile spectrum"));
  var top = D.entries.slice().sort(function (a, b) { return b.requests - a.requests; }).slice(0, 5)
    .filter(function (e) { return e.latency_us; });
  var specRows = [T].concat(D.entries.length > 1 ? top : []).filter(function (e) { return e.latency_us; });
  if (specRows.length) {
    var sp = specRows[0].latency_us.spectrum;
    var xs = sp.map(function (p) { return p[0] >= 100 ? -Math.log10(1 - 99.99999 / 100) : -Math.log10(1 - p[0] / 100); });
    var data = [xs], ser = [{label: "percentile", value: function (u, v) { return v === null ? "" : (100 - 100 * Math.pow(10, -v)).toPrecision(7).replace(/0+$/, "").replace(/\.$/, "") + " %"; }}];
    specRows.forEach(function (e, i) {
      data.push(e.latency_us.spectrum.map(function (p) { return p[1] / 1000; }));
      ser.push({label: e === T ? "all requests" : entryName(e), stroke: palette[i], width: 1.5,
                value: function (u, v) { return v === null ? "–" : v.toFixed(3) + " ms"; }});
    });
    var ticks = [0, 1, 2, 3, 4, 5, 6, 7];
    /* Axis label of a number of nines: 0 → 0%, 1 → 90%, 2 → 99%, 3 → 99.9%. */
    var nines = function (v) {
      if (v >= xs[xs.length - 1] - 1e-9) return "max";
      if (!Number.isInteger(v)) return "";
      return v === 0 ? "0%" : v === 1 ? "90%" : "99" + (v > 2 ? "." + "9".repeat(v - 2) : "") + "%";
    };
    chart(root, "Response time by percentile (ms, log scale)", "Read across: 99 % of requests took at most the value at 99 %.",
      {series: ser, legend: {live: true},
       scales: {x: {time: false, range: [0, xs[xs.length - 1]]}, y: {distr: 3, log: 10}},
       axes: [{values: function (u, vals) { return vals.map(nines); },
               splits: function () { return ticks.filter(function (t) { return t <= xs[xs.length - 1]; }).concat([xs[xs.length - 1]]); }},
              {label: "ms", size: 60}]}, data);
  } else {
    add(root, el("p", {class: "muted"}, "No request completed."));
  }

  /* Phase breakdown: where the time of a request goes (new connections only
   * pay DNS, connect and TLS). */
  add(root, el("h2", null, "Phase breakdown"));
  var phases = [["dns", "DNS"], ["connect", "connect"], ["tls", "TLS"], ["ttfb", "time to first byte"]];
  var ph = T.phases_us || {}, st = T.service_time_us;
  var px = [0, 1, 2, 3, 4];
  var mean = phases.map(function (p) { return ph[p[0]] ? ph[p[0]].mean / 1000 : 0; }).concat([st ? st.mean / 1000 : 0]);
  var p95 = phases.map(function (p) { return ph[p[0]] ? ph[p[0]].percentiles["95"] / 1000 : 0; }).concat([st ? st.percentiles["95"] / 1000 : 0]);
  var labels = phases.map(function (p) { return p[1]; }).concat(["whole request"]);
  var bars = uPlot.paths.bars;
  chart(root, "Phases of all requests (ms)", "Mean and p95; DNS, connect and TLS count only requests that opened a connection.",
    {series: [{label: "phase", value: function (u, v) { return v === null ? "" : labels[v]; }},
              {label: "mean", fill: "#1f77b4", stroke: "#1f77b4", paths: bars({size: [0.35, 60], align: -1}), points: {show: false}},
              {label: "p95", fill: "#ff7f0e", stroke: "#ff7f0e", paths: bars({size: [0.35, 60], align: 1}), points: {show: false}}],
     legend: {live: true},
     scales: {x: {time: false, range: [-0.5, 4.5]}, y: {range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.15 : 1]; }}},
     axes: [{splits: function () { return px; }, values: function (u, v) { return v.map(function (i) { return labels[i] || ""; }); }},
            {label: "ms", size: 60}]}, [px, mean, p95]);
  table(root, ["Type", "Name", "requests", "new connections", "DNS", "connect", "TLS", "TTFB", "whole"],
    D.entries.concat([T]).map(function (e) {
      var p = e.phases_us || {};
      function m(k) { return p[k] ? ms(p[k].mean) : "–"; }
      return {cells: [e === T ? "" : e.method, e.name, num(e.requests), p.connect ? num(p.connect.count) : "0",
                      m("dns"), m("connect"), m("tls"), m("ttfb"), e.service_time_us ? ms(e.service_time_us.mean) : "–"],
              cls: e === T ? "total" : null};
    }), {left: [0, 1], names: [1]});
  add(root, el("p", {class: "muted"}, "Means in ms."));

  /* Errors */
  if (D.errors.length || D.exceptions.length) {
    add(root, el("h2", null, "Errors"));
    table(root, ["#", "Type", "Name", "error", "first seen", "last seen"],
      D.errors.slice().sort(function (a, b) { return b.count - a.count; }).map(function (e) {
        return {cells: [num(e.count), e.method, e.name, e.error, e.first_seen.replace("T", " "), e.last_seen.replace("T", " ")]};
      }), {left: [1, 2, 3], names: [2]});
    if (D.exceptions.length)
      table(root, ["#", "outside any request"], D.exceptions.map(function (x) { return {cells: [num(x.count), x.message]}; }), {left: [1]});
  }

  /* Workers */
  add(root, el("h2", null, "Workers and the load generator"));
  timeSeries(root, "Load generator health", "Busiest worker: CPU as a share of its CPUs (90 % and more: its latencies may include its own delay), and the worst event-loop lag.",
    [{label: "CPU % (busiest worker)", values: TL.cpu_share_max.map(function (v) { return v * 100; }), color: "#9467bd"},
     {label: "loop lag ms (worst)", values: TL.loop_lag_ms_max, color: "#d62728", scale: "lag"}], "CPU %", [{scale: "lag", label: "lag ms"}]);
  table(root, ["#", "id", "host", "state", "CPUs", "CPU now", "CPU max", "memory max", "lag max (ms)", "stalls", "warnings"],
    W.map(function (w) {
      var st = el("span", {class: w.state === "finished" ? "pass" : "fail"}, w.state);
      return {cells: [w.index, w.id, w.hostname, st, w.cpus, pct(w.cpu_share), pct(w.cpu_share_max),
                      num(w.rss_bytes_max / 1048576, 1) + " MiB", num(w.loop_lag_ms_max), w.stalls + (w.stalls ? " (" + dur(w.stalled_ms / 1000) + ")" : ""),
                      w.warnings.join(", ") || "none"]};
    }), {left: [1, 2, 3, 10], id: "workers"});
  if (D.events.length) {
    add(root, el("h3", null, "Worker events"));
    table(root, ["time (UTC)", "worker", "event", "detail"], D.events.map(function (e) {
      return {cells: [hms(e.time_ms), e.worker, e.kind, e.detail]};
    }), {left: [2, 3], names: [3], id: "events"});
    if (D.events_dropped) add(root, el("p", {class: "muted"}, D.events_dropped + " more events were not kept."));
  }

  add(root, el("footer", null, "hornet-master " + D.hornet_version + " · report format " + D.format_version +
    " · charts: uPlot (MIT licence) · every number here is also in the JSON report (--json)."));
  document.body.dataset.charts = String(charts);
})();
