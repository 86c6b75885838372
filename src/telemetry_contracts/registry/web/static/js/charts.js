// Small inline SVG charts drawn from report numbers: a sparkline, a burn-down and a bar chart.
// Each shape carries its number in data-value (and a <title>), so what is drawn can be read back.

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function titled(node, text) {
  node.append(s("title", {}, text));
  return node;
}

/** A line of `values` (counts per day, oldest first) in a small box. */
export function sparkline(values, label, {width = 120, height = 24} = {}) {
  const top = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((value, index) =>
    `${(index * step).toFixed(1)},${(height - 2 - (value / top) * (height - 4)).toFixed(1)}`).join(" ");
  return s("svg", {class: "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `${label}: ${values.reduce((a, b) => a + b, 0)} in the window`,
    "data-values": values.join(",")},
  s("polyline", {points, fill: "none", stroke: "currentColor", "stroke-width": 1.5}));
}

/** Deprecated usage per day over the window, as bars, with the first and last day marked. */
export function burnDown(days, values, {width = 640, height = 160} = {}) {
  const top = Math.max(1, ...values);
  const left = 48;
  const bottom = 22;
  const inner = height - bottom - 8;
  const slot = (width - left) / Math.max(1, values.length);
  const bars = values.map((value, index) => titled(s("rect", {
    class: "bar", x: (left + index * slot + 1).toFixed(1), width: Math.max(1, slot - 2).toFixed(1),
    y: (8 + inner - (value / top) * inner).toFixed(1), height: ((value / top) * inner).toFixed(1),
    "data-day": days[index], "data-value": value}), `${days[index]}: ${value.toLocaleString()}`));
  return s("svg", {id: "burn-down", class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Deprecated usage per day from ${days[0]} to ${days[days.length - 1]}`},
  s("text", {x: left - 4, y: 14, "text-anchor": "end", class: "axis"}, top.toLocaleString()),
  s("text", {x: left - 4, y: 8 + inner, "text-anchor": "end", class: "axis"}, "0"),
  s("line", {x1: left, y1: 8 + inner, x2: width, y2: 8 + inner, class: "axis-line", stroke: "currentColor"}),
  ...bars,
  s("text", {x: left, y: height - 6, class: "axis"}, days[0] || ""),
  s("text", {x: width, y: height - 6, "text-anchor": "end", class: "axis"}, days[days.length - 1] || ""));
}

/** Horizontal bars: [[label, value], ...], largest first. */
export function barChart(rows, label, {width = 640, barHeight = 20} = {}) {
  const top = Math.max(1, ...rows.map(([, value]) => value));
  const left = 180;
  const height = rows.length * (barHeight + 6) + 4;
  return s("svg", {id: "top-emitters", class: "chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": label},
  ...rows.flatMap(([name, value], index) => {
    const y = 2 + index * (barHeight + 6);
    const length = Math.max(1, ((width - left - 80) * value) / top);
    return [
      s("text", {x: left - 6, y: y + barHeight * 0.7, "text-anchor": "end", class: "label"}, name),
      titled(s("rect", {class: "bar", x: left, y, width: length.toFixed(1), height: barHeight,
        "data-service": name, "data-value": value}), `${name}: ${value.toLocaleString()}`),
      s("text", {x: left + length + 6, y: y + barHeight * 0.7, class: "value"}, value.toLocaleString()),
    ];
  }));
}
