// Dashboard charts: the server renders the series as JSON in a data block; uPlot draws them.
"use strict";

(function () {
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

  function chart(el, times, named, format) {
    var names = Object.keys(named);
    var series = [{}];
    var data = [times];
    names.forEach(function (name, i) {
      series.push({ label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
        value: function (u, v) { return v == null ? "—" : format(v); } });
      data.push(named[name]);
    });
    if (!names.length) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "No data in this period.";
      el.appendChild(empty);
      return;
    }
    var width = Math.max(280, el.clientWidth || 480);
    // A static legend: values read "—" until hovered, which on a page of four charts is noise.
    new uPlot({ width: width, height: 220, series: series, legend: { live: false },
      axes: [{}, { size: 64, values: function (u, ticks) { return ticks.map(format); } }] }, data, el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var block = document.getElementById("dashboard-data");
    if (!block || typeof uPlot === "undefined") return;
    var d = JSON.parse(block.textContent);
    var count = function (v) { return String(Math.round(v)); };
    var pct = function (v) { return (v * 100).toFixed(0) + "%"; };
    var secs = function (v) { return v.toFixed(0) + " s"; };
    var ms = function (v) { return v.toFixed(0) + " ms"; };
    var charts = {
      volume: [d.volume, count],
      flagged_share: [{ "all pairs": d.flagged_share }, pct],
      approval_s: [{ "mean": d.approval_s }, secs],
      latency_ms: [d.latency_ms, ms]
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = charts[el.getAttribute("data-chart")];
      var named = spec[0];
      // Counts of zero are no data; a share or a time of zero is (a flat line).
      var isCount = el.getAttribute("data-chart") === "volume";
      var hasData = Object.keys(named).some(function (k) {
        return named[k].some(function (v) { return v != null && (!isCount || v > 0); });
      });
      chart(el, d.times, hasData ? named : {}, spec[1]);
    });
  });
})();
