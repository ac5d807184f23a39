/* isobench report: filters, search and the lazily rendered trajectory. No network, no library: it only
   loads files of the report folder through <script> elements, which work from file:// too. */
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-root") || "";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function loadScript(src, done) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () { done(null); };
    s.onerror = function () { done(new Error("could not load " + src)); };
    document.head.appendChild(s);
  }

  /* ---------------------------------------------------------------- filters (front and instance pages) */
  function applyFilters() {
    var sel = {};
    document.querySelectorAll("select[data-filter]").forEach(function (s) { sel[s.getAttribute("data-filter")] = s.value; });
    var shown = 0;
    document.querySelectorAll("[data-provider]").forEach(function (e) {
      var ok = (!sel.provider || e.getAttribute("data-provider") === sel.provider) &&
        (!sel.outcome || e.getAttribute("data-outcome") === sel.outcome) &&
        (!sel.flag || (" " + (e.getAttribute("data-flags") || "") + " ").indexOf(" " + sel.flag + " ") >= 0);
      e.classList.toggle("hidden", !ok);
      if (ok && e.tagName === "TR") shown++;
    });
    var count = document.getElementById("filter-count");
    if (count) count.textContent = shown + " attempt(s) shown";
  }

  /* ---------------------------------------------------------------- search over every trajectory */
  var searchLoading = false;
  function runSearch() {
    var box = document.getElementById("search");
    var out = document.getElementById("search-results");
    if (!box || !out) return;
    var q = box.value.trim().toLowerCase();
    if (!window.ISOBENCH_SEARCH) {
      if (!searchLoading) {
        searchLoading = true;
        out.textContent = "loading the search index…";
        loadScript(root + "search.js", function (err) {
          if (err) { out.textContent = String(err); return; }
          runSearch();
        });
      }
      return;
    }
    out.textContent = "";
    if (q.length < 2) { out.appendChild(el("p", "ci", "type at least 2 characters")); return; }
    var idx = window.ISOBENCH_SEARCH, hits = 0, limit = 200, total = 0;
    var list = el("ol", "hits");
    for (var a = 0; a < idx.steps.length; a++) {
      var per = idx.steps[a];
      for (var j = 0; j < per.length; j++) {
        var text = per[j][1], at = text.toLowerCase().indexOf(q);
        if (at < 0) continue;
        total++;
        if (hits >= limit) continue;
        hits++;
        var li = el("li"), link = el("a", null, idx.attempts[a][1] + " · step " + per[j][0]);
        link.href = root + idx.attempts[a][0] + "#step-" + per[j][0];
        li.appendChild(link);
        var from = Math.max(0, at - 60);
        li.appendChild(el("code", "snip", (from > 0 ? "…" : "") + text.slice(from, at + q.length + 100).replace(/\s+/g, " ")));
        list.appendChild(li);
      }
    }
    out.appendChild(el("p", "ci", total + " step(s) match" + (total > limit ? " (first " + limit + " listed)" : "")));
    out.appendChild(list);
  }

  /* ---------------------------------------------------------------- the trajectory, in chunks */
  var traj = null;
  window.isobenchSteps = function (k, steps) {
    if (!traj) return;
    traj.data[k] = steps;
    traj.pending = false;
    renderChunk(k);
    if (traj.want !== null) seekStep(traj.want);
    else if (traj.all) loadNext();
  };

  function fold(cls, text, limit) {
    var pre = el("pre", cls);
    if (text.length <= limit) { pre.textContent = text; return pre; }
    pre.textContent = text.slice(0, limit);
    var wrap = el("div", "fold");
    var btn = el("button", "more", "show all " + text.length.toLocaleString() + " characters");
    btn.type = "button";
    btn.onclick = function () {
      var open = btn.getAttribute("data-open") === "1";
      pre.textContent = open ? text.slice(0, limit) : text;
      btn.textContent = open ? "show all " + text.length.toLocaleString() + " characters" : "fold";
      btn.setAttribute("data-open", open ? "0" : "1");
    };
    wrap.appendChild(pre);
    wrap.appendChild(btn);
    return wrap;
  }

  function diffPre(text) {
    var pre = el("pre", "diff");
    text.split("\n").forEach(function (line) {
      var c = line.charAt(0) === "+" && line.indexOf("+++") !== 0 ? "add" : line.charAt(0) === "-" && line.indexOf("---") !== 0 ? "del" : line.indexOf("@@") === 0 ? "hunk" : "";
      pre.appendChild(el("span", c, line + "\n"));
    });
    return pre;
  }

  function stepNode(s) {
    var d = el("div", "step k-" + s.kind + (s.err ? " err" : ""));
    d.id = "step-" + s.i;
    var h = el("div", "sh");
    var a = el("a", "n", "#" + s.i); a.href = "#step-" + s.i; h.appendChild(a);
    h.appendChild(el("b", null, s.tool || s.kind));
    if (s.src) h.appendChild(el("span", "ci", s.src));
    if (s.exit !== undefined) h.appendChild(el("span", "badge " + (s.exit === 0 ? "ok" : "bad"), "exit " + s.exit));
    else if (s.err) h.appendChild(el("span", "badge bad", "error"));
    var meta = [s.t, "+" + (s.dt || 0).toFixed(2) + " s"];
    if (s.tok) meta.push("tokens " + s.tok[0] + " in / " + s.tok[1] + " out");
    if (s.cost !== undefined) meta.push("$" + s.cost.toFixed(4));
    if (s.cum_cost !== undefined) meta.push("total $" + s.cum_cost.toFixed(4) + ", " + s.cum_tok[0] + " / " + s.cum_tok[1] + " tokens");
    h.appendChild(el("span", "meta", meta.join(" · ")));
    d.appendChild(h);
    var L = traj ? traj.fold : 1500;
    if (s.msg) d.appendChild(fold("msg", s.msg, L));
    if (s.cmd) { d.appendChild(el("div", "lbl", "command")); d.appendChild(fold("cmd", s.cmd, L)); }
    if (s.diff) { d.appendChild(el("div", "lbl", "edit")); d.appendChild(diffPre(s.diff)); }
    else if (s.args && !s.cmd) {
      var det = el("details", "args"); det.appendChild(el("summary", null, "arguments (" + s.args.length + " characters)"));
      det.appendChild(el("pre", "args", s.args)); d.appendChild(det);
    }
    if (s.obs !== undefined) { d.appendChild(el("div", "lbl", "observation")); d.appendChild(fold("obs", s.obs, L)); }
    return d;
  }

  function renderChunk(k) {
    if (traj.rendered[k]) return;
    var steps = traj.data[k];
    if (!steps) return;
    for (var j = traj.rendered.length; j < k; j++) if (!traj.rendered[j]) return; /* in order only */
    var frag = document.createDocumentFragment();
    steps.forEach(function (s) { frag.appendChild(stepNode(s)); });
    traj.box.appendChild(frag);
    traj.rendered[k] = true;
    traj.next = k + 1;
    var status = document.getElementById("traj-status");
    var shown = Math.min(traj.total, traj.next * traj.per);
    if (status) status.textContent = shown + " of " + traj.total + " steps shown";
    if (traj.next >= traj.chunks) { traj.sentinel.style.display = "none"; var b = document.getElementById("traj-all"); if (b) b.style.display = "none"; }
    /* still near the end after rendering (short steps): the observer sees no change, so ask again */
    else if (traj.sentinel.getBoundingClientRect().top < window.innerHeight + 1500) setTimeout(loadNext, 0);
  }

  function loadNext() {
    if (!traj || traj.pending || traj.next >= traj.chunks) return;
    traj.pending = true;
    loadScript(traj.base + "steps-" + traj.next + ".js", function (err) { if (err) { traj.pending = false; traj.sentinel.textContent = String(err); } });
  }

  function seekStep(n) {
    var k = Math.floor((n - 1) / traj.per);
    if (k >= traj.chunks) { traj.want = null; return; }
    if (traj.next > k) {
      traj.want = null;
      var node = document.getElementById("step-" + n);
      if (node) { node.classList.add("target"); node.scrollIntoView({ block: "start" }); }
      return;
    }
    traj.want = n;
    loadNext();
  }

  function initTrajectory() {
    var box = document.getElementById("trajectory");
    if (!box) return;
    traj = {
      box: box, data: {}, rendered: [], next: 0, pending: false, want: null, all: false,
      base: box.getAttribute("data-base"), chunks: +box.getAttribute("data-chunks"),
      total: +box.getAttribute("data-steps"), per: +box.getAttribute("data-per"), fold: +box.getAttribute("data-fold"),
      sentinel: document.getElementById("traj-more")
    };
    var m = /^#step-(\d+)$/.exec(location.hash);
    if (m) traj.want = +m[1];
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) loadNext();
      }, { rootMargin: "1500px" }).observe(traj.sentinel);
    }
    traj.sentinel.onclick = loadNext;
    var all = document.getElementById("traj-all");
    if (all) all.onclick = function () { traj.all = true; loadNext(); };
    window.addEventListener("hashchange", function () {
      var h = /^#step-(\d+)$/.exec(location.hash);
      if (h) seekStep(+h[1]);
    });
    loadNext();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-filter]").forEach(function (s) { s.addEventListener("change", applyFilters); });
    if (document.querySelector("select[data-filter]")) applyFilters();
    var box = document.getElementById("search");
    if (box) {
      var timer = null;
      box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(runSearch, 150); });
      box.addEventListener("focus", function () { if (!window.ISOBENCH_SEARCH && box.value.trim().length < 2) runSearch(); });
      var form = document.getElementById("search-form");
      if (form) form.addEventListener("submit", function (e) { e.preventDefault(); runSearch(); });
      var q = /[?&]q=([^&#]*)/.exec(location.search);
      if (q) { box.value = decodeURIComponent(q[1].replace(/\+/g, " ")); runSearch(); }
    }
    initTrajectory();
  });
})();
