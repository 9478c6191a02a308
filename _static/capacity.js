// The capacity explorer (book/explorer.md): every number the page shows, computed in the browser.
//
// The formulas are written here once; every constant comes from explorer/capacity_constants.js,
// which the build writes from the repcap package (repcap/book/explorer.py), so nothing here is
// retyped. Jupyter Book loads every script of _static on every page, this one included; the
// constants are loaded by the explorer page alone, and everything below reads them when called. Counts
// reach far beyond the float range, so everything is a base-10 logarithm until it is printed, and
// printing follows repcap.common.formatting.log10_sci. The browser test holds each function to the
// package (repcap.book.explorer.numbers) on a grid of (d, ε) to 1e-9 relative.
(function () {
  "use strict";
  function K() { return window.REPCAP_CAPACITY_CONSTANTS; }
  var LN10 = Math.LN10;

  // JL (Eq. 3): k = exp(dε²/C).
  function log10JL(d, eps, C) {
    return d * eps * eps / C / LN10;
  }

  // Eq. 6: k = d·exp(dε²/C).
  function log10Eq6(d, eps) {
    return (Math.log(d) + d * eps * eps / K().eq6.C) / LN10;
  }

  // Eq. 7, the paper's capacity: ln k = (ln d + (d^c ε²/C)^(1/b)) / a.
  function log10Eq7(d, eps) {
    var p = K().eq7;
    return (Math.log(d) + Math.pow(Math.pow(d, p.c) * eps * eps / p.C, 1 / p.b)) / p.a / LN10;
  }

  // Stirling's series for ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π), x ≥ 10 (error < 1e-16).
  function stirlingTail(x) {
    var x2 = x * x;
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - (1 / 1188 - (691 / 360360 - 1 / (156 * x2))
      / x2) / x2) / x2) / x2) / x2) / x;
  }

  // ln Γ(x) for x > 0: shifted up to x ≥ 10 by Γ(x) = Γ(x + n) / (x (x+1) … (x+n−1)).
  function lgamma(x) {
    var shift = 1;
    while (x < 10) { shift *= x; x += 1; }
    return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + stirlingTail(x)
      - Math.log(shift);
  }

  // ln Γ(a + ½) − ln Γ(a), without the cancellation of two large log-gammas at large a.
  function lgammaHalfStep(a) {
    if (a < 10) return lgamma(a + 0.5) - lgamma(a);
    return a * Math.log1p(0.5 / a) + 0.5 * Math.log(a) - 0.5 + stirlingTail(a + 0.5) - stirlingTail(a);
  }

  // The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a+1)/(a+b+2).
  function betaCF(a, b, x) {
    var TINY = 1e-300, qab = a + b, qap = a + 1, qam = a - 1;
    var c = 1, dd = 1 - qab * x / qap;
    if (Math.abs(dd) < TINY) dd = TINY;
    dd = 1 / dd;
    var h = dd;
    for (var m = 1; m <= 100000; m++) {
      var m2 = 2 * m;
      var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
      dd = 1 + aa * dd; if (Math.abs(dd) < TINY) dd = TINY;
      c = 1 + aa / c; if (Math.abs(c) < TINY) c = TINY;
      dd = 1 / dd; h *= dd * c;
      aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
      dd = 1 + aa * dd; if (Math.abs(dd) < TINY) dd = TINY;
      c = 1 + aa / c; if (Math.abs(c) < TINY) c = TINY;
      dd = 1 / dd;
      var del = dd * c;
      h *= del;
      if (Math.abs(del - 1) < 1e-16) break;
    }
    return h;
  }

  // ln I_{1−ε²}((d−1)/2, ½), the normalised area of the double cap |cos| > ε in R^d.
  function logPairTail(d, eps) {
    var a = (d - 1) / 2, b = 0.5, e2 = eps * eps;
    var lnX = Math.log1p(-e2), ln1mX = Math.log(e2);
    var lnBeta = 0.5 * Math.log(Math.PI) - lgammaHalfStep(a);  // ln B(a, ½)
    if (e2 > (b + 1) / (a + b + 2)) {  // x = 1 − ε² < (a+1)/(a+b+2): the fraction for I_x(a, b)
      return a * lnX + b * ln1mX - Math.log(a) - lnBeta + Math.log(betaCF(a, b, 1 - e2));
    }
    // else I_x(a, b) = 1 − I_{ε²}(b, a), the fraction converging for that one
    var lnJ = b * ln1mX + a * lnX - Math.log(b) - lnBeta + Math.log(betaCF(b, a, e2));
    return Math.log1p(-Math.exp(lnJ));
  }

  // The greedy / Gilbert–Varshamov guarantee: log10 of 1 / I_{1−ε²}((d−1)/2, ½).
  function log10Greedy(d, eps) {
    return -logPairTail(d, eps) / LN10;
  }

  // The largest explicit set of dimension ≤ d at coherence ≤ ε (constructions.best_construction):
  // the first that fits in the build's list (sorted best first), else the orthonormal basis.
  function bestConstruction(d, eps) {
    var t = K().constructions, sets = t.sets;
    for (var i = 0; i < sets.length; i++) {
      var s = sets[i];
      if (s.dim <= d && s.coherence <= eps + t.tol) {
        if (s.count !== null && s.count <= d) break;  // no larger than the basis of R^d
        return s;
      }
    }
    return {family: "orthonormal", label: t.basis + " (d = " + d + ")", count: d,
            log10_count: Math.log10(d), coherence: 0, coherence_is: "exact", dim: d};
  }

  // The paper's class of ε (repcap.laws.classify): Class 1 above, Class 2 below, else between.
  function classify(eps) {
    var c = K().classes;
    if (eps > c.class1_above) return c.class1;
    if (eps < c.class2_below) return c.class2;
    return c.between;
  }

  // 10^lg as the book's tables write it (repcap.common.formatting.log10_sci): 3.99e7, 10^(9.45e6).
  function sci(x, digits) {
    var parts = x.toExponential(digits - 1).split("e");
    return parts[0] + "e" + parseInt(parts[1], 10);
  }
  function log10Sci(lg, digits) {
    digits = digits || 3;
    if (lg === null || isNaN(lg)) return "–";
    if (!isFinite(lg)) return lg > 0 ? "∞" : "0";
    if (Math.abs(lg) >= 1e6) return "10^(" + sci(lg, digits) + ")";
    var exp = Math.floor(lg), mant = Math.pow(10, lg - exp);
    var text = mant.toFixed(digits - 1);
    if (parseFloat(text) >= 10) { exp += 1; text = (mant / 10).toFixed(digits - 1); }
    return text + "e" + exp;
  }

  // Everything the page shows at (d, ε), as repcap.book.explorer.numbers returns it.
  function numbers(d, eps) {
    return {
      jl_random: log10JL(d, eps, K().jl.random_C),
      jl_proven: log10JL(d, eps, K().jl.proven_C),
      eq6: log10Eq6(d, eps),
      eq7: log10Eq7(d, eps),
      greedy: log10Greedy(d, eps),
      best: bestConstruction(d, eps),
      "class": classify(eps),
      determinate: eps < K().classes.class2_below
    };
  }

  window.RepcapCapacity = {
    constants: K, log10JL: log10JL, log10Eq6: log10Eq6, log10Eq7: log10Eq7, lgamma: lgamma,
    log10Greedy: log10Greedy, bestConstruction: bestConstruction, classify: classify,
    log10Sci: log10Sci, numbers: numbers
  };

  // ---------------------------------------------------------------------------------------------
  // The page: inputs (slider and number for d and ε, the Table 1 models) and the table of results.
  // ---------------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fixed(x, n) { return Number(x).toFixed(n); }

  // d moves on a log2 slider (2 … max_d), ε on a linear one; the number boxes take any value.
  var D_MIN = 2, EPS_MIN = 0, EPS_MAX = 0.99;

  function build(root) {
    var k = K();
    var maxD = k.constructions.max_d;
    var form = el("div", {"class": "capx-inputs"});
    var model = el("select", {id: "capx-model", "aria-label": "Table 1 model"});
    model.appendChild(el("option", {value: ""}, "(your own d and ε)"));
    k.models.forEach(function (m, i) {
      model.appendChild(el("option", {value: String(i)},
        m.name + " (d = " + m.d + ", ε = " + m.eps + ")"));
    });
    var dNum = el("input", {id: "capx-d", type: "number", min: D_MIN, max: maxD, step: 1});
    var dSlider = el("input", {id: "capx-d-slider", type: "range", min: 1, max: Math.log2(maxD),
                               step: 0.01, "aria-label": "d (log scale)"});
    var eNum = el("input", {id: "capx-eps", type: "number", min: EPS_MIN, max: EPS_MAX,
                            step: 0.0001});
    var eSlider = el("input", {id: "capx-eps-slider", type: "range", min: 0.001, max: 0.5,
                               step: 0.0005, "aria-label": "ε"});
    function row(label, forId, inputs) {
      var r = el("div", {"class": "capx-row"});
      r.appendChild(el("label", {"for": forId}, label));
      inputs.forEach(function (i) { r.appendChild(i); });
      form.appendChild(r);
    }
    row("Table 1 model", "capx-model", [model]);
    row("d (dimension)", "capx-d", [dNum, dSlider]);
    row("ε (max |cos|)", "capx-eps", [eNum, eSlider]);
    var note = el("p", {id: "capx-note", "class": "capx-note"});
    var table = el("table", {id: "capx-results", "class": "table capx-table"});
    root.appendChild(form);
    root.appendChild(note);
    root.appendChild(table);

    function render(d, eps, picked) {
      var n = numbers(d, eps);
      var rows = [
        ["JL, C = " + k.jl.random_C + " (random fit)", n.jl_random, "k = exp(dε²/C)", "jl_random"],
        ["JL, C = " + k.jl.proven_C + " (proven)", n.jl_proven, "k = exp(dε²/C)", "jl_proven"],
        ["Eq. 6, C = " + k.eq6.C, n.eq6, "k = d·exp(dε²/C)", "eq6"],
        ["Eq. 7 (the paper's capacity)", n.eq7,
         n.determinate ? "reported by the paper (ε < " + k.classes.class2_below + ")"
                       : "the paper calls it indeterminate (ε ≥ " + k.classes.class2_below + ")",
         "eq7"],
        ["greedy / Gilbert–Varshamov guarantee", n.greedy, "proven: at least this many exist",
         "greedy"],
        ["largest explicit set", n.best.log10_count,
         n.best.label + ", dimension " + n.best.dim + ", max |cos| " +
           (n.best.coherence_is === "bound" ? "≤ " : "= ") + fixed(n.best.coherence, 6) +
           " (" + n.best.coherence_is + ")",
         "best"]
      ];
      table.innerHTML = "";
      var head = el("tr");
      ["law or bound", "directions k", "log10 k", "formula or status"].forEach(function (h) {
        head.appendChild(el("th", {}, h));
      });
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var body = el("tbody");
      rows.forEach(function (r) {
        var tr = el("tr", {"data-key": r[3]});
        tr.appendChild(el("td", {}, r[0]));
        tr.appendChild(el("td", {"class": "capx-value"}, log10Sci(r[1])));
        tr.appendChild(el("td", {"class": "capx-log"}, fixed(r[1], 2)));
        tr.appendChild(el("td", {}, r[2]));
        body.appendChild(tr);
      });
      var cls = el("tr", {"data-key": "class"});
      cls.appendChild(el("td", {}, "the paper's class of ε"));
      cls.appendChild(el("td", {"class": "capx-value"}, n["class"]));
      cls.appendChild(el("td", {}, ""));
      cls.appendChild(el("td", {}, "Class 1: ε > " + k.classes.class1_above + ", Class 2: ε < "
                                   + k.classes.class2_below));
      body.appendChild(cls);
      table.appendChild(body);
      note.textContent = picked
        ? picked.name + ": d = " + picked.d + ", ε = " + picked.eps
          + "; Table 1 prints a capacity of " + (picked.capacity ? log10Sci(Math.log10(picked.capacity))
                                                                  : "“indeterminate”") + "."
        : "d = " + d + ", ε = " + eps + ".";
      root.setAttribute("data-d", String(d));
      root.setAttribute("data-eps", String(eps));
    }

    function current() {
      var d = Math.round(Number(dNum.value)), eps = Number(eNum.value);
      if (!(d >= D_MIN && d <= maxD) || !(eps >= EPS_MIN && eps <= EPS_MAX)) {
        note.textContent = "Choose a whole d from " + D_MIN + " to " + maxD + " and ε from "
          + EPS_MIN + " to " + EPS_MAX + ".";
        return null;
      }
      return {d: d, eps: eps};
    }
    function update(picked) {
      var v = current();
      if (v) render(v.d, v.eps, picked);
    }
    function set(d, eps, picked) {
      dNum.value = String(d); dSlider.value = String(Math.log2(d));
      eNum.value = String(eps); eSlider.value = String(eps);
      update(picked);
    }
    model.addEventListener("change", function () {
      var m = k.models[Number(model.value)];
      if (model.value !== "" && m) set(m.d, m.eps, m);
    });
    function own() { model.value = ""; }
    dNum.addEventListener("input", function () {
      own(); dSlider.value = String(Math.log2(Number(dNum.value) || 2)); update(null);
    });
    eNum.addEventListener("input", function () {
      own(); eSlider.value = eNum.value; update(null);
    });
    dSlider.addEventListener("input", function () {
      own(); dNum.value = String(Math.round(Math.pow(2, Number(dSlider.value)))); update(null);
    });
    eSlider.addEventListener("input", function () {
      own(); eNum.value = String(Number(eSlider.value)); update(null);
    });
    var start = k.models.findIndex(function (m) { return m.name === k.start; });
    model.value = String(start);
    set(k.models[start].d, k.models[start].eps, k.models[start]);
  }

  function init() {
    var root = document.getElementById("capx");
    if (root && K()) build(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
