/* redline web map helpers: feature styling and popups, legend, banner, measure tool,
 * offline notice. Written for redline; needs only Leaflet 1.x (global L). */
(function () {
  "use strict";
  var R = 6371008.8;  // mean Earth radius (m), as Leaflet's L.CRS.Earth uses

  function rad(d) { return d * Math.PI / 180; }

  // Area (m²) of a lon/lat ring on the sphere (the "spherical excess" sum).
  function ringArea(latlngs) {
    var n = latlngs.length, total = 0;
    if (n < 3) { return 0; }
    for (var i = 0; i < n; i++) {
      var p1 = latlngs[i], p2 = latlngs[(i + 1) % n];
      total += rad(p2.lng - p1.lng) * (2 + Math.sin(rad(p1.lat)) + Math.sin(rad(p2.lat)));
    }
    return Math.abs(total * R * R / 2);
  }

  function fmt(value, unit) {
    return value.toLocaleString("en-US", {maximumFractionDigits: 1, minimumFractionDigits: 1}) + " " + unit;
  }

  function control(map, position, className, html) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    var ctl = new Ctl({position: position});
    ctl.addTo(map);
    return ctl;
  }

  var redline = {
    /* Called for every GeoJSON feature: style, popup (pre-escaped HTML), label or tooltip. */
    feature: function (feature, layer) {
      var p = feature.properties || {};
      if (p.style && layer.setStyle) { layer.setStyle(p.style); }
      if (p.radius && layer.setRadius) { layer.setRadius(p.radius); }
      if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 460, maxHeight: 360}); }
      if (p.label) {
        layer.bindTooltip(p.label, {permanent: true, direction: "center", className: "rl-label"});
      } else if (p.tip) {
        layer.bindTooltip(p.tip, {sticky: true});
      }
    },

    legend: function (map, html) { return control(map, "bottomleft", "rl-legend", html); },

    banner: function (map, html) { return control(map, "topright", "rl-banner", html); },

    note: function (map, html) { return control(map, "bottomright", "rl-note", html); },

    /* A note shown once when basemap tiles fail to load (no network, intranet). */
    tileNotice: function (map, text) {
      var shown = false;
      map.eachLayer(function (layer) {
        if (layer instanceof L.TileLayer) {
          layer.on("tileerror", function () {
            if (shown) { return; }
            shown = true;
            control(map, "bottomright", "rl-note rl-offline", text);
          });
        }
      });
    },

    /* Fixed labels only from a zoom level on, so an overview stays readable. */
    labelsFrom: function (map, minZoom) {
      function update() {
        map.getContainer().classList.toggle("rl-hide-labels", map.getZoom() < minZoom);
      }
      map.on("zoomend", update);
      update();
    },

    scale: function (map) { L.control.scale({imperial: false, maxWidth: 160}).addTo(map); },

    zoom: function (map, bounds) {
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17});
      var el = map.getContainer();
      if (el.scrollIntoView) { el.scrollIntoView({behavior: "smooth", block: "center"}); }
    },

    /* Measure tool: click to add points, double-click to finish; the button clears. */
    measure: function (map, text) {
      var active = false, points = [], line = null, poly = null, tip = null, button = null;
      var zoomWasOn = map.doubleClickZoom.enabled();

      function clear() {
        [line, poly, tip].forEach(function (x) { if (x) { map.removeLayer(x); } });
        line = poly = tip = null;
        points = [];
      }
      function length() {
        var total = 0;
        for (var i = 1; i < points.length; i++) { total += map.distance(points[i - 1], points[i]); }
        return total;
      }
      function show(done) {
        if (line) { map.removeLayer(line); }
        if (poly) { map.removeLayer(poly); poly = null; }
        line = L.polyline(points, {color: "#000", weight: 2, dashArray: "4 4", interactive: false}).addTo(map);
        var html = text.distance + ": " + fmt(length(), "m");
        if (done && points.length >= 3) {
          poly = L.polygon(points, {color: "#000", weight: 1, fillOpacity: 0.1, interactive: false}).addTo(map);
          html += "<br>" + text.area + ": " + fmt(ringArea(points), "m²");
        }
        if (!tip) {
          tip = L.tooltip({permanent: true, direction: "right", className: "rl-measure-tip"});
        }
        tip.setLatLng(points[points.length - 1]).setContent(html);
        tip.addTo(map);
      }
      function onClick(e) {
        if (!active) { return; }
        points.push(e.latlng);
        show(false);
      }
      function onDblClick(e) {
        if (!active) { return; }
        L.DomEvent.stop(e);
        active = false;
        button.classList.remove("rl-active");
        map.getContainer().classList.remove("rl-measuring");
        if (zoomWasOn) { map.doubleClickZoom.enable(); }
        if (points.length) { show(true); }
      }
      var Ctl = L.Control.extend({
        onAdd: function () {
          var div = L.DomUtil.create("div", "leaflet-bar rl-measure");
          button = L.DomUtil.create("a", "", div);
          button.href = "#";
          button.title = text.hint;
          button.setAttribute("role", "button");
          button.innerHTML = '<svg width="18" height="18" viewBox="0 0 18 18" style="vertical-align:middle">' +
            '<path d="M2 12 L12 2 L16 6 L6 16 Z" fill="#fff" stroke="#333" stroke-width="1.4"/>' +
            '<path d="M5 9 l2 2 M7.5 6.5 l1.5 1.5 M10 4 l2 2" stroke="#333" stroke-width="1.2"/></svg>';
          L.DomEvent.on(button, "click", function (e) {
            L.DomEvent.stop(e);
            clear();
            active = !active;
            button.classList.toggle("rl-active", active);
            // while measuring, clicks go to the map, not to the zones under the pointer
            map.getContainer().classList.toggle("rl-measuring", active);
            map.closePopup();
            if (active) { map.doubleClickZoom.disable(); }
            else if (zoomWasOn) { map.doubleClickZoom.enable(); }
          });
          L.DomEvent.disableClickPropagation(div);
          return div;
        }
      });
      map.on("click", onClick);
      map.on("dblclick", onDblClick);
      new Ctl({position: "topleft"}).addTo(map);
      return {ringArea: ringArea};
    },
    ringArea: ringArea
  };
  window.redline = redline;
})();
