// The preview page: the e-reader view, the print view and the problems, kept up to date by server-sent events.
// Only the documents a build changed are fetched again, and the one on screen is redrawn in place: the reader's
// place in the text is kept.

const $ = (id) => document.getElementById(id);
const frame = $("page");
const settings = { size: 100, theme: "light" };
let state = null;
let current = null; // the document shown in the e-reader view (its path inside the EPUB)
let printKey = null;

// --- tabs --------------------------------------------------------------------

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => showView(tab.getAttribute("aria-controls")));
}

function showView(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.getAttribute("aria-controls") === name;
    tab.setAttribute("aria-selected", String(selected));
    $(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  if (name === "print") requestPrint();
}

// --- e-reader view -------------------------------------------------------------

function documentOf(href) {
  return href.split("#")[0];
}

function openDocument(href) {
  current = documentOf(href);
  frame.src = `/book/${href}`;
  markCurrent();
}

frame.addEventListener("load", () => {
  const doc = frame.contentDocument;
  if (!doc || !frame.contentWindow.location.pathname.startsWith("/book/")) return;
  current = decodeURIComponent(frame.contentWindow.location.pathname.slice("/book/".length));
  applySettings();
  markCurrent();
});

function applySettings() {
  const doc = frame.contentDocument;
  if (!doc || !doc.documentElement) return;
  if (!doc.getElementById("preview-reader")) {
    const link = doc.createElementNS("http://www.w3.org/1999/xhtml", "link");
    link.id = "preview-reader";
    link.rel = "stylesheet";
    link.href = "/static/reader.css";
    (doc.head || doc.documentElement).appendChild(link);
  }
  doc.documentElement.dataset.previewTheme = settings.theme;
  doc.documentElement.style.fontSize = `${settings.size}%`;
  $("size").textContent = `${settings.size}%`;
}

$("screen").addEventListener("change", (event) => { frame.width = event.target.value; });
$("theme").addEventListener("change", (event) => { settings.theme = event.target.value; applySettings(); });
$("smaller").addEventListener("click", () => { settings.size = Math.max(60, settings.size - 10); applySettings(); });
$("larger").addEventListener("click", () => { settings.size = Math.min(250, settings.size + 10); applySettings(); });

function contentsList(entries) {
  const list = document.createElement("ol");
  for (const entry of entries) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/book/${entry.href}`;
    link.textContent = entry.label;
    link.dataset.href = entry.href;
    link.addEventListener("click", (event) => { event.preventDefault(); openDocument(entry.href); });
    item.appendChild(link);
    if (entry.children.length) item.appendChild(contentsList(entry.children));
    list.appendChild(item);
  }
  return list;
}

function markCurrent() {
  for (const link of document.querySelectorAll(".contents a")) {
    link.classList.toggle("current", documentOf(link.dataset.href) === current && !link.dataset.href.includes("#"));
  }
}

// The block at the top of the screen and how far it is scrolled past, to come back to after a redraw.
const BLOCKS = "p, h1, h2, h3, h4, h5, h6, li, dt, dd, blockquote, pre, figure, table";

function place(doc) {
  const blocks = [...doc.body.querySelectorAll(BLOCKS)];
  const index = blocks.findIndex((block) => block.getBoundingClientRect().bottom > 0);
  return index < 0 ? null : { index, offset: blocks[index].getBoundingClientRect().top };
}

function restore(doc, kept) {
  if (!kept) return;
  const block = doc.body.querySelectorAll(BLOCKS)[kept.index];
  if (block) frame.contentWindow.scrollBy(0, block.getBoundingClientRect().top - kept.offset);
}

const IMAGE = /\.(png|jpe?g|gif|webp|svg)$/i;

async function redraw(changed, version) {
  const doc = frame.contentDocument;
  if (!current || !doc || !doc.body) return;
  if (changed.some((name) => IMAGE.test(name))) { // an image changed: the document is loaded again, at the same place
    const y = frame.contentWindow.scrollY;
    frame.addEventListener("load", () => frame.contentWindow.scrollTo(0, y), { once: true });
    frame.contentWindow.location.reload();
    return;
  }
  if (changed.includes("style/book.css")) {
    for (const link of doc.querySelectorAll("link[rel=stylesheet]:not(#preview-reader)")) {
      link.href = `style/book.css?v=${version}`;
    }
  }
  if (!changed.includes(current)) return;
  const response = await fetch(`/book/${current}`);
  if (!response.ok) { frame.src = `/book/${state.first}`; return; }
  const fresh = new DOMParser().parseFromString(await response.text(), "application/xhtml+xml");
  if (!fresh.body) return;
  const kept = place(doc);
  doc.body.replaceWith(doc.importNode(fresh.body, true));
  const title = fresh.querySelector("title");
  if (title && doc.querySelector("title")) doc.querySelector("title").textContent = title.textContent;
  restore(doc, kept);
}

// --- state from the server -------------------------------------------------------

function showState(next) {
  const previous = state;
  state = next;
  $("status").textContent = next.building ? "Building…"
    : next.errors.length ? `Build ${next.build} failed` : `Built in ${next.seconds.toFixed(2)} s`;
  $("banner").hidden = next.errors.length === 0;
  $("banner-text").textContent = next.errors.length
    ? next.errors[0] + (next.errors.length > 1 ? `\n(and ${next.errors.length - 1} more: see Problems)` : "")
    : "";
  showProblems(next.problems);
  if (next.title) {
    $("book-title").textContent = next.title;
    document.title = `${next.title} · publish preview`;
  }
  if (!previous || previous.version !== next.version) {
    $("contents").replaceChildren(contentsList(next.contents));
    showHandouts(next.handouts);
    if (next.version > 0) {
      if (!current || !next.readingOrder.includes(current)) openDocument(next.first);
      else if (previous && previous.version > 0) redraw(next.changed, next.version);
      markCurrent();
      if (!$("print").hidden) requestPrint();
    }
  }
}

function showProblems(problems) {
  $("problem-count").textContent = String(problems.length);
  $("no-problems").hidden = problems.length > 0;
  $("problem-list").replaceChildren(...problems.map((problem) => {
    const item = document.createElement("li");
    item.className = problem.severity;
    item.textContent = problem.text;
    return item;
  }));
}

function showHandouts(handouts) {
  const select = $("what");
  const chosen = select.value;
  const options = [new Option("The book", "book")];
  for (const [slug, title] of handouts) options.push(new Option(`Handout: ${title}`, slug));
  select.replaceChildren(...options);
  select.value = handouts.some(([slug]) => slug === chosen) ? chosen : "book";
}

// --- print view -----------------------------------------------------------------

for (const id of ["what", "paper", "large", "duplex"]) $(id).addEventListener("change", () => requestPrint());

function printQuery() {
  const query = new URLSearchParams({
    what: $("what").value, paper: $("paper").value,
    large: $("large").checked ? "1" : "0", duplex: $("duplex").checked ? "1" : "0",
  });
  return query.toString();
}

async function requestPrint() {
  if (!state || state.version === 0) return;
  const response = await fetch(`/api/print?${printQuery()}`);
  if (response.ok) showPages(await response.json());
}

function showPages(pages) {
  printKey = pages.key;
  $("print-status").textContent = pages.typesetting ? "Typesetting…" : `${pages.labels.length} pages`;
  $("print-error").hidden = !pages.error;
  $("print-error").textContent = pages.error || "";
  if (pages.version === null) { if (!pages.typesetting) $("pages").replaceChildren(); return; }
  const holder = $("pages");
  if (holder.dataset.key === pages.key && holder.dataset.version === String(pages.version)) return;
  holder.dataset.key = pages.key;
  holder.dataset.version = String(pages.version);
  holder.replaceChildren(...pages.labels.map((label, index) => {
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.src = `/print/${encodeURIComponent(pages.key)}/${index + 1}.png?v=${pages.version}`;
    image.alt = `Page ${label}`;
    [image.width, image.height] = pages.sizes[index];
    image.loading = index < 4 ? "eager" : "lazy";
    const caption = document.createElement("figcaption");
    caption.textContent = label;
    figure.append(image, caption);
    return figure;
  }));
}

// --- events ---------------------------------------------------------------------

const events = new EventSource("/api/events");
events.addEventListener("state", (event) => showState(JSON.parse(event.data)));
events.addEventListener("building", () => { $("status").textContent = "Building…"; });
events.addEventListener("print", (event) => {
  const pages = JSON.parse(event.data);
  if (pages.key === printKey) showPages(pages);
});
